"""Who may see and change which record: organisations, the record scope, and the access log."""
