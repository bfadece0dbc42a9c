"""Organisations, persons, the access log, saved filters, and the record scope of instances and tasks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 17:02:53.865884
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=120), nullable=False),
    sa.Column('organisation_code', sa.String(length=40), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('record_type', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log'))
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_access_log_record', ['record_type', 'record_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_log_username'), ['username'], unique=False)

    op.create_table('organisation',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('name_lv', sa.String(length=255), nullable=False),
    sa.Column('name_en', sa.String(length=255), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('region_code', sa.String(length=40), nullable=True),
    sa.Column('atvk_code', sa.String(length=7), nullable=True),
    sa.Column('atvk_from_classifier', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_organisation'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_municipality_code'), ['municipality_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_region_code'), ['region_code'], unique=False)

    op.create_table('saved_filter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('query', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filter')),
    sa.UniqueConstraint('username', 'name', name=op.f('uq_saved_filter_username_name'))
    )
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_filter_username'), ['username'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('personal_code', sa.String(length=12), nullable=True),
    sa.Column('given_name', sa.String(length=120), nullable=False),
    sa.Column('family_name', sa.String(length=120), nullable=False),
    sa.Column('search_name', sa.String(length=250), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_code'], ['organisation.code'], name=op.f('fk_person_institution_code_organisation')),
    sa.ForeignKeyConstraint(['municipality_code'], ['organisation.code'], name=op.f('fk_person_municipality_code_organisation')),
    sa.ForeignKeyConstraint(['orphan_court_code'], ['organisation.code'], name=op.f('fk_person_orphan_court_code_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('personal_code', name=op.f('uq_person_personal_code'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_institution_code'), ['institution_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_municipality_code'), ['municipality_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_orphan_court_code'), ['orphan_court_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_search_name'), ['search_name'], unique=False)

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delegated_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('follow_up_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('record_kind', sa.String(length=20), nullable=False, server_default='other'))
        batch_op.add_column(sa.Column('municipality_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('institution_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('orphan_court_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('confidential', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('ix_human_task_completed_by', ['completed_by', 'completed_at'], unique=False)
        batch_op.create_index('ix_human_task_institution', ['institution_code', 'status', 'due_at'], unique=False)
        batch_op.create_index('ix_human_task_municipality', ['municipality_code', 'status', 'due_at'], unique=False)
        batch_op.create_index('ix_human_task_orphan_court', ['orphan_court_code', 'status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('record_kind', sa.String(length=20), nullable=False, server_default='other'))
        batch_op.add_column(sa.Column('municipality_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('institution_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('orphan_court_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('confidential', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('ix_process_instance_institution', ['institution_code', 'status'], unique=False)
        batch_op.create_index('ix_process_instance_municipality', ['municipality_code', 'status'], unique=False)
        batch_op.create_index('ix_process_instance_orphan_court', ['orphan_court_code', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_instance_person_id'))
        batch_op.drop_index('ix_process_instance_orphan_court')
        batch_op.drop_index('ix_process_instance_municipality')
        batch_op.drop_index('ix_process_instance_institution')
        batch_op.drop_column('confidential')
        batch_op.drop_column('orphan_court_code')
        batch_op.drop_column('institution_code')
        batch_op.drop_column('municipality_code')
        batch_op.drop_column('record_kind')
        batch_op.drop_column('person_id')

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_human_task_person_id'))
        batch_op.drop_index('ix_human_task_orphan_court')
        batch_op.drop_index('ix_human_task_municipality')
        batch_op.drop_index('ix_human_task_institution')
        batch_op.drop_index('ix_human_task_completed_by')
        batch_op.drop_column('confidential')
        batch_op.drop_column('orphan_court_code')
        batch_op.drop_column('institution_code')
        batch_op.drop_column('municipality_code')
        batch_op.drop_column('record_kind')
        batch_op.drop_column('person_id')
        batch_op.drop_column('follow_up_at')
        batch_op.drop_column('delegated_by')

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_search_name'))
        batch_op.drop_index(batch_op.f('ix_person_orphan_court_code'))
        batch_op.drop_index(batch_op.f('ix_person_municipality_code'))
        batch_op.drop_index(batch_op.f('ix_person_institution_code'))

    op.drop_table('person')
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_filter_username'))

    op.drop_table('saved_filter')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_region_code'))
        batch_op.drop_index(batch_op.f('ix_organisation_municipality_code'))
        batch_op.drop_index(batch_op.f('ix_organisation_kind'))

    op.drop_table('organisation')
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_log_username'))
        batch_op.drop_index('ix_access_log_record')
        batch_op.drop_index(batch_op.f('ix_access_log_at'))

    op.drop_table('access_log')
