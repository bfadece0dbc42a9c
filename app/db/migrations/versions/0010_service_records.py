"""Community-service records (P3): submitted batches and records with their validation verdict

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 21:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_record_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by', sa.String(length=120), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_service_record_batch_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_record_batch'))
    )
    with op.batch_alter_table('service_record_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_record_batch_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_service_record_batch_municipality', ['municipality_code', 'period_from'], unique=False)

    op.create_table('service_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=120), nullable=True),
    sa.Column('personal_code', sa.String(length=12), nullable=False),
    sa.Column('service_type', sa.String(length=40), nullable=False),
    sa.Column('provider_code', sa.String(length=40), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('volume', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('cost_cents', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('validated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['service_record_batch.id'], name=op.f('fk_service_record_batch_id_service_record_batch')),
    sa.ForeignKeyConstraint(['corrects_id'], ['service_record.id'], name=op.f('fk_service_record_corrects_id_service_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_record'))
    )
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_record_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_service_record_municipality', ['municipality_code', 'status', 'period_from'], unique=False)
        batch_op.create_index('ix_service_record_person', ['person_id', 'service_type', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_record_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_record_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_record_status'))
        batch_op.drop_index(batch_op.f('ix_service_record_person_id'))
        batch_op.drop_index('ix_service_record_person')
        batch_op.drop_index('ix_service_record_municipality')
        batch_op.drop_index(batch_op.f('ix_service_record_batch_id'))

    op.drop_table('service_record')
    with op.batch_alter_table('service_record_batch', schema=None) as batch_op:
        batch_op.drop_index('ix_service_record_batch_municipality')
        batch_op.drop_index(batch_op.f('ix_service_record_batch_instance_id'))

    op.drop_table('service_record_batch')
