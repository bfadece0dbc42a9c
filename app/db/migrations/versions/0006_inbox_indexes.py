"""Inbox: the index for a person's completed tasks also holds status and confidential

ix_human_task_completed_by (completed_by, completed_at) is replaced by ix_human_task_completed
(completed_by, status, confidential, completed_at). Without statistics SQLite preferred the scope
index (municipality_code, status, due_at) for the "completed" tab and its count, which reads
every completed task of the municipality (bench/inbox.py: 0.2-0.9 s with 400,000 completed tasks).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 18:00:00.000000
"""
from __future__ import annotations

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_completed_by')
        batch_op.create_index('ix_human_task_completed',
                              ['completed_by', 'status', 'confidential', 'completed_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_completed')
        batch_op.create_index('ix_human_task_completed_by', ['completed_by', 'completed_at'],
                              unique=False)
