"""Periodic reports and acknowledgements (P9)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 00:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _scope_columns() -> list[sa.Column]:
    return [
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('record_kind', sa.String(length=20), nullable=False),
        sa.Column('municipality_code', sa.String(length=40), nullable=True),
        sa.Column('institution_code', sa.String(length=40), nullable=True),
        sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
        sa.Column('confidential', sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table('child_placement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('placement_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('decision_reference', sa.String(length=64), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    *_scope_columns(),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_child_placement_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_child_placement')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_child_placement_instance_id'))
    )
    with op.batch_alter_table('child_placement', schema=None) as batch_op:
        batch_op.create_index('ix_child_placement_institution', ['institution_code', 'placement_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_child_placement_person_id'), ['person_id'], unique=False)

    op.create_table('periodic_report_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('report_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('submitted_by', sa.String(length=120), nullable=False),
    sa.Column('npais_report_id', sa.String(length=64), nullable=False),
    sa.Column('npais_received_at', sa.DateTime(), nullable=False),
    sa.Column('sopa_reference', sa.String(length=64), nullable=False),
    sa.Column('sopa_received_at', sa.DateTime(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    *_scope_columns(),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_periodic_report_delivery_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_periodic_report_delivery')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_periodic_report_delivery_idempotency_key'))
    )
    with op.batch_alter_table('periodic_report_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_periodic_report_delivery_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_periodic_report_delivery_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('periodic_report_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_periodic_report_delivery_person_id'))
        batch_op.drop_index(batch_op.f('ix_periodic_report_delivery_instance_id'))
    op.drop_table('periodic_report_delivery')
    with op.batch_alter_table('child_placement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_child_placement_person_id'))
        batch_op.drop_index('ix_child_placement_institution')
    op.drop_table('child_placement')
