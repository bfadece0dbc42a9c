"""Documents generated from case data (support plans, monthly reports ...), stored with the case
as PDFs and rendered again identically from the same data."""
