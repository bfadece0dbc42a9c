"""The adoption register and the adoption matching workflow (P11)."""
