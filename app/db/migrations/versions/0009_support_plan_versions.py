"""Individual support plan (IAP) versions, kept for every change

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 20:16:43.624687
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('support_plan_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('external_reference', sa.String(length=120), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_support_plan_version_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_plan_version')),
    sa.UniqueConstraint('external_reference', name=op.f('uq_support_plan_version_external_reference')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_support_plan_version_idempotency_key'))
    )
    with op.batch_alter_table('support_plan_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_plan_version_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_support_plan_version_person', ['person_id', 'version'], unique=True)
        batch_op.create_index(batch_op.f('ix_support_plan_version_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('support_plan_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_plan_version_person_id'))
        batch_op.drop_index('ix_support_plan_version_person')
        batch_op.drop_index(batch_op.f('ix_support_plan_version_instance_id'))

    op.drop_table('support_plan_version')
