"""Adoption register: children free for adoption, adopters, matches (P11)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 01:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('adoption_adopter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('applicants', sa.JSON(), nullable=False),
    sa.Column('suitability_court_code', sa.String(length=40), nullable=False),
    sa.Column('suitability_decision_on', sa.Date(), nullable=False),
    sa.Column('suitability_until', sa.Date(), nullable=False),
    sa.Column('renewed_on', sa.Date(), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('children_max', sa.Integer(), nullable=False),
    sa.Column('age_min', sa.Integer(), nullable=False),
    sa.Column('age_max', sa.Integer(), nullable=False),
    sa.Column('sex_preference', sa.String(length=3), nullable=False),
    sa.Column('siblings_accepted', sa.Boolean(), nullable=False),
    sa.Column('health_accepted', sa.JSON(), nullable=False),
    sa.Column('regions', sa.JSON(), nullable=False),
    sa.Column('abroad', sa.Boolean(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('archived_on', sa.Date(), nullable=True),
    sa.Column('retention_until', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adoption_adopter'))
    )
    with op.batch_alter_table('adoption_adopter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adoption_adopter_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adoption_adopter_registered_on'), ['registered_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_adoption_adopter_status'), ['status'], unique=False)

    op.create_table('adoption_child',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('sibling_group', sa.String(length=40), nullable=True),
    sa.Column('siblings_together', sa.Boolean(), nullable=False),
    sa.Column('health_conditions', sa.JSON(), nullable=False),
    sa.Column('health_notes', sa.Text(), nullable=False),
    sa.Column('special_needs', sa.Text(), nullable=False),
    sa.Column('disability_checked_on', sa.Date(), nullable=True),
    sa.Column('disability_found', sa.Boolean(), nullable=True),
    sa.Column('disability_severity', sa.String(length=20), nullable=True),
    sa.Column('disability_opinion_number', sa.String(length=40), nullable=True),
    sa.Column('special_care_opinion', sa.Boolean(), nullable=True),
    sa.Column('deciding_court_code', sa.String(length=40), nullable=True),
    sa.Column('free_for_adoption_on', sa.Date(), nullable=False),
    sa.Column('carer_code', sa.String(length=40), nullable=True),
    sa.Column('carer_name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=40), nullable=True),
    sa.Column('parents_info', sa.Text(), nullable=False),
    sa.Column('prefilled_from', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('archived_on', sa.Date(), nullable=True),
    sa.Column('retention_until', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adoption_child'))
    )
    with op.batch_alter_table('adoption_child', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adoption_child_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adoption_child_sibling_group'), ['sibling_group'], unique=False)
        batch_op.create_index(batch_op.f('ix_adoption_child_status'), ['status'], unique=False)

    op.create_table('adoption_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('child_ids', sa.JSON(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('started_by', sa.String(length=120), nullable=False),
    sa.Column('computed_on', sa.Date(), nullable=True),
    sa.Column('ranked', sa.JSON(), nullable=False),
    sa.Column('excluded', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('adopter_id', sa.Integer(), nullable=True),
    sa.Column('final_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('archived_on', sa.Date(), nullable=True),
    sa.Column('retention_until', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['adopter_id'], ['adoption_adopter.id'], name=op.f('fk_adoption_match_adopter_id_adoption_adopter')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_adoption_match_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adoption_match')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_adoption_match_instance_id'))
    )
    with op.batch_alter_table('adoption_match', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adoption_match_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adoption_match_status'), ['status'], unique=False)

    op.create_table('adoption_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('adopter_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('proposed_on', sa.Date(), nullable=False),
    sa.Column('answer_due', sa.Date(), nullable=False),
    sa.Column('answer', sa.String(length=20), nullable=True),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('meeting_from', sa.Date(), nullable=True),
    sa.Column('meeting_until', sa.Date(), nullable=True),
    sa.Column('court_decision_on', sa.Date(), nullable=True),
    sa.Column('court_reference', sa.String(length=80), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=40), nullable=True),
    sa.Column('institution_code', sa.String(length=40), nullable=True),
    sa.Column('orphan_court_code', sa.String(length=40), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('archived_on', sa.Date(), nullable=True),
    sa.Column('retention_until', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['adopter_id'], ['adoption_adopter.id'], name=op.f('fk_adoption_proposal_adopter_id_adoption_adopter')),
    sa.ForeignKeyConstraint(['match_id'], ['adoption_match.id'], name=op.f('fk_adoption_proposal_match_id_adoption_match')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adoption_proposal')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_adoption_proposal_idempotency_key'))
    )
    with op.batch_alter_table('adoption_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adoption_proposal_adopter_id'), ['adopter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adoption_proposal_match_id'), ['match_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adoption_proposal_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('adoption_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adoption_proposal_person_id'))
        batch_op.drop_index(batch_op.f('ix_adoption_proposal_match_id'))
        batch_op.drop_index(batch_op.f('ix_adoption_proposal_adopter_id'))

    op.drop_table('adoption_proposal')
    with op.batch_alter_table('adoption_match', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adoption_match_status'))
        batch_op.drop_index(batch_op.f('ix_adoption_match_person_id'))

    op.drop_table('adoption_match')
    with op.batch_alter_table('adoption_child', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adoption_child_status'))
        batch_op.drop_index(batch_op.f('ix_adoption_child_sibling_group'))
        batch_op.drop_index(batch_op.f('ix_adoption_child_person_id'))

    op.drop_table('adoption_child')
    with op.batch_alter_table('adoption_adopter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adoption_adopter_status'))
        batch_op.drop_index(batch_op.f('ix_adoption_adopter_registered_on'))
        batch_op.drop_index(batch_op.f('ix_adoption_adopter_person_id'))

    op.drop_table('adoption_adopter')
