"""Process drafts: BPMN, DMN and form drafts the process owners saved and have not deployed

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 10:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('process_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('process_key', sa.String(length=255), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('saved_by', sa.String(length=120), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=False),
    sa.Column('based_on_version', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_draft')),
    sa.UniqueConstraint('kind', 'process_key', 'saved_by', name=op.f('uq_process_draft_kind_process_key_saved_by'))
    )
    with op.batch_alter_table('process_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_draft_process_key'), ['process_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('process_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_draft_process_key'))

    op.drop_table('process_draft')
