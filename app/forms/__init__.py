"""User task forms described by JSON Schema: loading, rendering fields, reading and validating."""
