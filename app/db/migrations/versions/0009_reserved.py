"""Reserved for a process area's tables (filled in with the area's models)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 21:00:00.000000
"""
from __future__ import annotations

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
