"""P3 and P4: community-based services: service records submitted by municipalities and their
validation (P3), services for children with functional impairments (P4)."""
