"""SAIS, the State Social Insurance Agency's (VSAA) system: the pensions, supplements, benefits,
compensations and foreign pensions paid to a person, and notices of admission to and discharge
from long-term social care (process P8).

``contract/`` holds the SOAP contract, ``client`` calls it with zeep, ``operations`` exposes it
to service tasks, ``simulator`` serves it locally (payments from ``fixture``).
"""
