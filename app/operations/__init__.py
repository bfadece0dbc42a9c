"""The operators' cockpit: incidents, retries, suspending, resuming and terminating instances,
and how many instances run on each process version."""
