"""Derived tables of the monitoring reports: needs levels per interview and domain, the services
of each IAP version, the group-home register, and the derivations' cursors

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-28 01:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def _scope_columns() -> list[sa.Column]:
    return [sa.Column('person_id', sa.Integer(), nullable=True),
            sa.Column('record_kind', sa.String(length=20), nullable=False),
            sa.Column('municipality_code', sa.String(length=40), nullable=True),
            sa.Column('institution_code', sa.String(length=40), nullable=True),
            sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
            sa.Column('confidential', sa.Boolean(), nullable=False)]


def upgrade() -> None:
    op.create_table('report_needs_level',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('domain', sa.String(length=40), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    *_scope_columns(),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                            name=op.f('fk_report_needs_level_event_id_event')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                            name=op.f('fk_report_needs_level_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_needs_level')),
    sa.UniqueConstraint('event_id', 'domain', name='uq_report_needs_level_event_domain')
    )
    with op.batch_alter_table('report_needs_level', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_needs_level_instance_id'), ['instance_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_report_needs_level_person_id'), ['person_id'],
                              unique=False)
        batch_op.create_index('ix_report_needs_level_person', ['person_id', 'domain', 'assessed_on'],
                              unique=False)
        batch_op.create_index('ix_report_needs_level_municipality',
                              ['municipality_code', 'assessed_on'], unique=False)

    op.create_table('report_planned_service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_version_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('plan_version', sa.Integer(), nullable=False),
    sa.Column('service_type', sa.String(length=40), nullable=False),
    sa.Column('hours_per_week', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    *_scope_columns(),
    sa.ForeignKeyConstraint(['plan_version_id'], ['support_plan_version.id'],
                            name=op.f('fk_report_planned_service_plan_version_id_support_plan_version')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                            name=op.f('fk_report_planned_service_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_planned_service')),
    sa.UniqueConstraint('plan_version_id', 'service_type',
                        name='uq_report_planned_service_version_type')
    )
    with op.batch_alter_table('report_planned_service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_planned_service_instance_id'), ['instance_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_report_planned_service_person_id'), ['person_id'],
                              unique=False)
        batch_op.create_index('ix_report_planned_service_municipality',
                              ['municipality_code', 'valid_from'], unique=False)

    op.create_table('report_group_home',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=False),
    sa.Column('daily_cost_cents', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_report_group_home'))
    )

    op.create_table('report_fact_cursor',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_report_fact_cursor'))
    )


def downgrade() -> None:
    op.drop_table('report_fact_cursor')
    op.drop_table('report_group_home')
    op.drop_table('report_planned_service')
    op.drop_table('report_needs_level')
