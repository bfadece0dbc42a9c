"""The scheduler's and the job runner's claim order in their indexes

The timer scheduler claims ``ORDER BY due_at, id`` and the job runner ``ORDER BY
next_attempt_at, id``. When many rows fall due at the same moment (every P9 deadline is a
midnight in Latvia), an index on (status, due_at) alone leaves PostgreSQL to sort every waiting
row of that moment for each batch it claims; with the id in the index the rows come in order.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27 01:00:00.000000
"""
from __future__ import annotations

from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('timer') as batch_op:
        batch_op.drop_index('ix_timer_due')
        batch_op.create_index('ix_timer_due', ['status', 'due_at', 'id'], unique=False)
    with op.batch_alter_table('job') as batch_op:
        batch_op.drop_index('ix_job_due')
        batch_op.create_index('ix_job_due', ['status', 'next_attempt_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('job') as batch_op:
        batch_op.drop_index('ix_job_due')
        batch_op.create_index('ix_job_due', ['status', 'next_attempt_at'], unique=False)
    with op.batch_alter_table('timer') as batch_op:
        batch_op.drop_index('ix_timer_due')
        batch_op.create_index('ix_timer_due', ['status', 'due_at'], unique=False)
