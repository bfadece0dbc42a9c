"""P10: orphan-court decisions to separate a child from the family or return the child, and the
crisis information the parties share (Law on the Protection of the Rights of the Child,
art. 26–27)."""
