"""A person's service records of one type by period: the index the reports' "was this service
delivered in the period" lookups need (planned vs delivered, outcomes by service mix)

Without ``period_from`` in it, SQLite (which keeps no planner statistics here) took the
municipality's index for these lookups and read every record of the municipality once per
planned service: minutes for a large city where this takes milliseconds.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 07:00:00.000000
"""
from __future__ import annotations

from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_service_record_person', table_name='service_record')
    op.create_index('ix_service_record_person', 'service_record',
                    ['person_id', 'service_type', 'status', 'period_from'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_service_record_person', table_name='service_record')
    op.create_index('ix_service_record_person', 'service_record',
                    ['person_id', 'service_type', 'status'], unique=False)
