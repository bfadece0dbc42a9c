"""What an operator watches: readiness, Prometheus metrics and log lines tied to their request,
job or timer (docs/operations.md, *Monitor*)."""
