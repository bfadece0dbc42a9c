"""Signed-in browser sessions as rows (only the SHA-256 of each session's token), so signing
out, an administrator or a deactivation can end a session on the server

Cookies made before this revision carry no token: everyone signed in at the upgrade signs in
again at their next request.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 07:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signed_in_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end_reason', sa.String(length=24), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                            name=op.f('fk_signed_in_session_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signed_in_session')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_signed_in_session_token_sha256'))
    )
    op.create_index(op.f('ix_signed_in_session_user_id'), 'signed_in_session', ['user_id'],
                    unique=False)
    op.create_index(op.f('ix_signed_in_session_started_at'), 'signed_in_session',
                    ['started_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_signed_in_session_started_at'), table_name='signed_in_session')
    op.drop_index(op.f('ix_signed_in_session_user_id'), table_name='signed_in_session')
    op.drop_table('signed_in_session')
