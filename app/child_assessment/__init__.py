"""P2: needs assessment of a child in a care institution or of a child with functional impairments
living with the family (the process, its case-file panel, statistics by child group, demo data)."""
