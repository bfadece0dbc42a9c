"""PMLP, the population register of the Office of Citizenship and Migration Affairs: a person's
name, birth date, sex, status and declared address.

``contract/`` holds the SOAP contract, ``client`` calls it with zeep, ``operations`` exposes it
to service tasks, ``simulator`` serves it locally (persons in ``fixtures/persons.json``).
"""
