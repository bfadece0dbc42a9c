"""Co-payment months of VSAC residents (P8)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 22:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('co_payment_month',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('payments', sa.JSON(), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('minimum_percent', sa.Integer(), nullable=False),
    sa.Column('minimum_allowance_cents', sa.Integer(), nullable=False),
    sa.Column('allowance_cents', sa.Integer(), nullable=False),
    sa.Column('co_payment_cents', sa.Integer(), nullable=False),
    sa.Column('confirmed_by', sa.String(length=120), nullable=False),
    sa.Column('correction_reason', sa.Text(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_co_payment_month_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_co_payment_month')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_co_payment_month_idempotency_key')),
    sa.UniqueConstraint('instance_id', 'period', 'version', name='uq_co_payment_month_instance_period_version')
    )
    with op.batch_alter_table('co_payment_month', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_co_payment_month_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_co_payment_month_institution', ['institution_code', 'period'], unique=False)
        batch_op.create_index(batch_op.f('ix_co_payment_month_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('co_payment_month', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_co_payment_month_person_id'))
        batch_op.drop_index('ix_co_payment_month_institution')
        batch_op.drop_index(batch_op.f('ix_co_payment_month_instance_id'))

    op.drop_table('co_payment_month')
