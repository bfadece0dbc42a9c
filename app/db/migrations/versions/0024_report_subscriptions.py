"""Monthly report pack: who subscribed to which report, where to send it, and the packs made

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 07:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_subscriber',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_report_subscriber_user_id_app_user')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_report_subscriber'))
    )
    op.create_table('report_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_report_subscription_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_subscription'))
    )
    op.create_index('ix_report_subscription_user_report', 'report_subscription',
                    ['user_id', 'report_id'], unique=True)
    op.create_table('report_pack',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('contents', sa.JSON(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_report_pack_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox.id'], name=op.f('fk_report_pack_outbox_message_id_outbox')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_report_pack_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_pack'))
    )
    op.create_index('ix_report_pack_user_period', 'report_pack', ['user_id', 'period'],
                    unique=True)
    op.create_index(op.f('ix_report_pack_instance_id'), 'report_pack', ['instance_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_report_pack_instance_id'), table_name='report_pack')
    op.drop_index('ix_report_pack_user_period', table_name='report_pack')
    op.drop_table('report_pack')
    op.drop_index('ix_report_subscription_user_report', table_name='report_subscription')
    op.drop_table('report_subscription')
    op.drop_table('report_subscriber')
