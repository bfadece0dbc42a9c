"""SOPA, the municipalities' social-assistance information system: support plans, children's
needs assessments and group-home placement notices go to it; service records come from it (P3).

``contract/`` holds the SOAP contract, ``client`` calls it with zeep, ``operations`` exposes it
to service tasks, ``simulator`` serves it locally (municipalities and service records in
``fixtures/sopa.json``).
"""
