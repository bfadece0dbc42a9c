"""Adapters to the external state systems (NPAIS, SAIS, SOPA, VDEĀVK, PMLP) and internal sinks.

Service tasks name an operation such as ``npais.notify_orphan_court``; the job runner looks the
operation up in :mod:`adapters.registry` and calls it outside any database transaction.
"""
