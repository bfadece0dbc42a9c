"""P9: duration control of a child's stay in out-of-family care (placements, periodic reports,
their delivery receipts, the placement's end)."""
