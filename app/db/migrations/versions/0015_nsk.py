"""NSK compensation (P7): eligibility checks, monthly report versions, their lines and the
payment instructions

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 00:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
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
    op.create_table('nsk_eligibility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('care_ended_on', sa.Date(), nullable=True),
    sa.Column('entered_as_child', sa.Boolean(), nullable=False),
    sa.Column('disability', sa.JSON(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    *_scope_columns(),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_nsk_eligibility_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nsk_eligibility')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_nsk_eligibility_idempotency_key'))
    )
    with op.batch_alter_table('nsk_eligibility', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nsk_eligibility_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nsk_eligibility_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_nsk_eligibility_municipality', ['municipality_code', 'eligible'], unique=False)

    op.create_table('nsk_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('rates', sa.JSON(), nullable=False),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('idempotency_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    *_scope_columns(),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_nsk_report_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nsk_report')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_nsk_report_idempotency_key')),
    sa.UniqueConstraint('instance_id', 'version', name='uq_nsk_report_instance_version')
    )
    with op.batch_alter_table('nsk_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nsk_report_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nsk_report_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_nsk_report_municipality', ['municipality_code', 'period'], unique=False)

    op.create_table('nsk_compensation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('service_record_id', sa.Integer(), nullable=False),
    sa.Column('service_type', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('volume', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('cost_cents', sa.BigInteger(), nullable=False),
    sa.Column('days_in_month', sa.Integer(), nullable=False),
    sa.Column('eligible_days', sa.Integer(), nullable=False),
    sa.Column('rate_cents', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    *_scope_columns(),
    sa.ForeignKeyConstraint(['report_id'], ['nsk_report.id'], name=op.f('fk_nsk_compensation_report_id_nsk_report')),
    sa.ForeignKeyConstraint(['service_record_id'], ['service_record.id'], name=op.f('fk_nsk_compensation_service_record_id_service_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nsk_compensation'))
    )
    with op.batch_alter_table('nsk_compensation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nsk_compensation_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nsk_compensation_person_id'), ['person_id'], unique=False)

    op.create_table('nsk_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=False),
    sa.Column('instructed_on', sa.Date(), nullable=False),
    sa.Column('approved_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    *_scope_columns(),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_nsk_payment_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['report_id'], ['nsk_report.id'], name=op.f('fk_nsk_payment_report_id_nsk_report')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nsk_payment')),
    sa.UniqueConstraint('reference', name=op.f('uq_nsk_payment_reference')),
    sa.UniqueConstraint('report_id', name=op.f('uq_nsk_payment_report_id'))
    )
    with op.batch_alter_table('nsk_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nsk_payment_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nsk_payment_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_nsk_payment_municipality', ['municipality_code', 'period'], unique=False)


def downgrade() -> None:
    for table, indexes in (
            ('nsk_payment', ('ix_nsk_payment_municipality', 'ix_nsk_payment_person_id',
                             'ix_nsk_payment_instance_id')),
            ('nsk_compensation', ('ix_nsk_compensation_person_id', 'ix_nsk_compensation_report_id')),
            ('nsk_report', ('ix_nsk_report_municipality', 'ix_nsk_report_person_id',
                            'ix_nsk_report_instance_id')),
            ('nsk_eligibility', ('ix_nsk_eligibility_municipality', 'ix_nsk_eligibility_person_id',
                                 'ix_nsk_eligibility_instance_id'))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(table)
