"""Why an adopter left the register

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 01:30:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('adoption_adopter') as batch:
        batch.add_column(sa.Column('withdrawal_reason', sa.Text(), nullable=False,
                                   server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('adoption_adopter') as batch:
        batch.drop_column('withdrawal_reason')
