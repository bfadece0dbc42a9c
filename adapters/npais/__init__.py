"""NPAIS, the orphan courts' information system: notices and periodic reports for process P9.

``contract/`` holds the SOAP contract, ``client`` calls it with zeep, ``operations`` exposes it
to service tasks, ``simulator`` serves it locally for development, tests and demos.
"""
