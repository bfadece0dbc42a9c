"""Why an open-data draft was returned, on the release itself

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-27 04:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('opendata_release') as batch:
        batch.add_column(sa.Column('discard_reason', sa.Text(), nullable=False,
                                   server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('opendata_release') as batch:
        batch.drop_column('discard_reason')
