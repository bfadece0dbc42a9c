"""An instance's full history for auditors and operators: its diagram with what ran where, the
timeline of its events with the data each step changed, the check of its hash chain, exports
(PDF, JSON), and the access log's answers to "who looked at this person's records"."""
