"""Orphan-court decisions and child-protection cases (P10)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 00:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('child_protection_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('npais_decision_id', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('planned_placement_date', sa.Date(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('separation_id', sa.Integer(), nullable=True),
    sa.Column('register_found', sa.Boolean(), nullable=True),
    sa.Column('placement_instance_id', sa.Integer(), nullable=True),
    sa.Column('placed_on', sa.Date(), nullable=True),
    sa.Column('placed_institution_code', sa.String(length=40), nullable=True),
    sa.Column('placement_ended_on', sa.Date(), nullable=True),
    sa.Column('received_by', sa.String(length=120), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_child_protection_decision_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['placement_instance_id'], ['process_instance.id'], name=op.f('fk_child_protection_decision_placement_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['separation_id'], ['child_protection_decision.id'], name=op.f('fk_child_protection_decision_separation_id_child_protection_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_child_protection_decision')),
    sa.UniqueConstraint('npais_decision_id', name=op.f('uq_child_protection_decision_npais_decision_id'))
    )
    with op.batch_alter_table('child_protection_decision', schema=None) as batch_op:
        batch_op.create_index('ix_child_protection_decision_court', ['orphan_court_code', 'decision_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_child_protection_decision_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_child_protection_decision_municipality', ['municipality_code', 'decision_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_child_protection_decision_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_child_protection_decision_separation_id'), ['separation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('child_protection_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_child_protection_decision_separation_id'))
        batch_op.drop_index(batch_op.f('ix_child_protection_decision_person_id'))
        batch_op.drop_index('ix_child_protection_decision_municipality')
        batch_op.drop_index(batch_op.f('ix_child_protection_decision_instance_id'))
        batch_op.drop_index('ix_child_protection_decision_court')

    op.drop_table('child_protection_decision')
