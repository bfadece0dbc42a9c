"""VDEĀVK IIS, the disability expert commission's system: disability group and severity, and
opinions on the need for special care (processes P4, P7, P11).

``contract/`` holds the SOAP contract, ``client`` calls it with zeep, ``operations`` exposes it
to service tasks, ``simulator`` serves it locally (decisions in ``fixtures/decisions.json``).
"""
