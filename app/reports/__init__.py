"""Monitoring reports for the ministry, planning regions and municipalities (issue 10).

``catalogue.yaml`` declares the reports, ``definitions`` checks and loads them, ``sources`` holds
the named queries they count from and ``engine`` runs them under the viewer's access scope;
``docs/reports.md`` describes the catalogue.
"""
