"""action plan: the team's free notes on an action (new table only)

Revision ID: 3f8a2c5d7e91
Revises: baff13b7969f
Create Date: 2026-11-30 10:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import crm.db


revision = '3f8a2c5d7e91'
down_revision = 'baff13b7969f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('action_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', crm.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_action_notes_action_id_actions'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_action_notes_author_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_notes')),
    sqlite_autoincrement=True
    )
    op.create_index('ix_action_notes_action_id_occurred_at', 'action_notes', ['action_id', 'occurred_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_action_notes_action_id_occurred_at', table_name='action_notes')
    op.drop_table('action_notes')
