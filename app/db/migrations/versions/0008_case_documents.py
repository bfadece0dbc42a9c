"""Case documents: PDFs generated from case data, kept with the data they came from

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 20:15:34.142863
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('template', sa.String(length=120), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('data_sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_case_document_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_document')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_case_document_idempotency_key'))
    )
    with op.batch_alter_table('case_document', schema=None) as batch_op:
        batch_op.create_index('ix_case_document_instance_kind', ['instance_id', 'kind', 'version'], unique=True)
        batch_op.create_index(batch_op.f('ix_case_document_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('case_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_document_person_id'))
        batch_op.drop_index('ix_case_document_instance_kind')

    op.drop_table('case_document')
