"""The JSON API under ``/api/v1`` for municipal systems and service providers' software: the web
inbox's and the case file's operations, with the same per-record scope (docs/api.md)."""
