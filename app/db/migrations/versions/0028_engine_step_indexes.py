"""Indexes for the engine's steps: fewer entries to write, and a read that stays quick

``process_instance`` and ``human_task`` are written by every engine step. Their indexes on
columns that are often empty (the person, the assignee, who completed a task, the three scope
codes) now hold only the rows where the column is set, so a step that leaves them empty writes
no entry for them. The queries that use these indexes compare the column to a value, which both
databases prove implies "set".

A step reads its instance's open human tasks, jobs and timers by instance and status. The
instance index of those tables now holds the status too: with statistics behind a growing
table, PostgreSQL had ANDed the instance index with the status-first index, reading an entry
for every open task in the system on every completion.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-27 10:00:00.000000
"""
from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_process_instance_person_id', 'process_instance', ['person_id']),
    ('ix_process_instance_municipality', 'process_instance', ['municipality_code', 'status']),
    ('ix_process_instance_institution', 'process_instance', ['institution_code', 'status']),
    ('ix_process_instance_orphan_court', 'process_instance', ['orphan_court_code', 'status']),
    ('ix_human_task_person_id', 'human_task', ['person_id']),
    ('ix_human_task_assignee', 'human_task', ['assignee']),
    ('ix_human_task_municipality', 'human_task', ['municipality_code', 'status', 'due_at']),
    ('ix_human_task_institution', 'human_task', ['institution_code', 'status', 'due_at']),
    ('ix_human_task_orphan_court', 'human_task', ['orphan_court_code', 'status', 'due_at']),
    ('ix_human_task_completed', 'human_task',
     ['completed_by', 'status', 'confidential', 'completed_at']),
]


INSTANCE_INDEXES = ['human_task', 'timer', 'job']


def upgrade() -> None:
    for name, table, columns in INDEXES:
        where = text(f"{columns[0]} IS NOT NULL")
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)
    for table in INSTANCE_INDEXES:
        op.drop_index(f'ix_{table}_instance_id', table_name=table)
        op.create_index(f'ix_{table}_instance_status', table, ['instance_id', 'status'])


def downgrade() -> None:
    for name, table, columns in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
    for table in INSTANCE_INDEXES:
        op.drop_index(f'ix_{table}_instance_status', table_name=table)
        op.create_index(f'ix_{table}_instance_id', table, ['instance_id'])
