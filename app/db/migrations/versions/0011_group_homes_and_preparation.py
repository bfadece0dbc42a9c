"""Group homes' stays (P5), self-care assessments and the mentor's daily-activity log (P6)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 21:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('daily_activity_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('activity', sa.String(length=200), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('independence_level', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('mentor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_activity_entry'))
    )
    with op.batch_alter_table('daily_activity_entry', schema=None) as batch_op:
        batch_op.create_index('ix_daily_activity_entry_person', ['person_id', 'entry_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_daily_activity_entry_person_id'), ['person_id'], unique=False)

    op.create_table('group_home_stay',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('group_home_code', sa.String(length=40), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=True),
    sa.Column('transferred_to_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_group_home_stay_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['transferred_to_id'], ['group_home_stay.id'], name=op.f('fk_group_home_stay_transferred_to_id_group_home_stay')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_home_stay'))
    )
    with op.batch_alter_table('group_home_stay', schema=None) as batch_op:
        batch_op.create_index('ix_group_home_stay_home', ['group_home_code', 'start_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_home_stay_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_group_home_stay_municipality', ['municipality_code', 'start_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_home_stay_person_id'), ['person_id'], unique=False)

    op.create_table('self_care_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('assessed_by', sa.String(length=120), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_self_care_assessment_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_care_assessment')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_self_care_assessment_idempotency_key'))
    )
    with op.batch_alter_table('self_care_assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_self_care_assessment_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_self_care_assessment_person', ['person_id', 'assessed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_self_care_assessment_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('self_care_assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_self_care_assessment_person_id'))
        batch_op.drop_index('ix_self_care_assessment_person')
        batch_op.drop_index(batch_op.f('ix_self_care_assessment_instance_id'))

    op.drop_table('self_care_assessment')
    with op.batch_alter_table('group_home_stay', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_home_stay_person_id'))
        batch_op.drop_index('ix_group_home_stay_municipality')
        batch_op.drop_index(batch_op.f('ix_group_home_stay_instance_id'))
        batch_op.drop_index('ix_group_home_stay_home')

    op.drop_table('group_home_stay')
    with op.batch_alter_table('daily_activity_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_daily_activity_entry_person_id'))
        batch_op.drop_index('ix_daily_activity_entry_person')

    op.drop_table('daily_activity_entry')
