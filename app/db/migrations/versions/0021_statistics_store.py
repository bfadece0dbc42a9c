"""Statistics store (pseudonymised facts from register extracts) and open-data releases

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27 03:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stat_load',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('key_version', sa.String(length=8), nullable=False),
    sa.Column('loaded_at', sa.DateTime(), nullable=False),
    sa.Column('loaded_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_load'))
    )
    with op.batch_alter_table('stat_load', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_load_source'), ['source'], unique=False)

    op.create_table('stat_fact',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('load_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('municipality_code', sa.String(length=20), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('months', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['load_id'], ['stat_load.id'], name=op.f('fk_stat_fact_load_id_stat_load')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_fact'))
    )
    with op.batch_alter_table('stat_fact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_fact_load_id'), ['load_id'], unique=False)
        batch_op.create_index('ix_stat_fact_source_started', ['source', 'started_on'], unique=False)
        batch_op.create_index('ix_stat_fact_subject', ['subject'], unique=False)

    op.create_table('stat_subject',
    sa.Column('pseudonym', sa.String(length=40), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('birth_month', sa.Date(), nullable=False),
    sa.Column('municipality_code', sa.String(length=20), nullable=False),
    sa.Column('load_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['load_id'], ['stat_load.id'], name=op.f('fk_stat_subject_load_id_stat_load')),
    sa.PrimaryKeyConstraint('pseudonym', name=op.f('pk_stat_subject'))
    )
    with op.batch_alter_table('stat_subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_subject_load_id'), ['load_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stat_subject_municipality_code'), ['municipality_code'], unique=False)

    op.create_table('opendata_release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset', sa.String(length=8), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('definition_sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('suppressed_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('published_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_opendata_release_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opendata_release')),
    sa.UniqueConstraint('dataset', 'period', 'version', name='uq_opendata_release_version')
    )
    with op.batch_alter_table('opendata_release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opendata_release_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_opendata_release_status', ['dataset', 'status', 'period_end'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('opendata_release', schema=None) as batch_op:
        batch_op.drop_index('ix_opendata_release_status')
        batch_op.drop_index(batch_op.f('ix_opendata_release_instance_id'))

    op.drop_table('opendata_release')
    with op.batch_alter_table('stat_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stat_subject_municipality_code'))
        batch_op.drop_index(batch_op.f('ix_stat_subject_load_id'))

    op.drop_table('stat_subject')
    with op.batch_alter_table('stat_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_fact_subject')
        batch_op.drop_index('ix_stat_fact_source_started')
        batch_op.drop_index(batch_op.f('ix_stat_fact_load_id'))

    op.drop_table('stat_fact')
    with op.batch_alter_table('stat_load', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stat_load_source'))

    op.drop_table('stat_load')
