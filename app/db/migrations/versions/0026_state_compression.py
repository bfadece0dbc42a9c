"""PostgreSQL: the serialised workflow on ``process_instance.state`` is compressed with lz4

Every engine step rewrites that value (13 KB for a P9 child waiting for a report), and a value
that large is compressed on the way to its TOAST table. With the server's default, pglz, the
compression was a measurable part of each step's write; lz4 takes about a fifth less time per
write here for the same size on disk. Rows keep what they were written with until their next
step rewrites them. Servers built without lz4 keep pglz; SQLite does not compress.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 07:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def _lz4_available() -> bool:
    methods = op.get_bind().scalar(sa.text(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"))
    return bool(methods) and "lz4" in methods


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql" and _lz4_available():
        op.execute("ALTER TABLE process_instance ALTER COLUMN state SET COMPRESSION lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE process_instance ALTER COLUMN state SET COMPRESSION default")
