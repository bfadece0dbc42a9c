"""The planning regions' data selection page: persons assessed and services delivered in their
region, filtered and exported as CSV or XLSX (DOMAIN: "a planning region selects and filters data
on persons assessed and services delivered in its region")."""
