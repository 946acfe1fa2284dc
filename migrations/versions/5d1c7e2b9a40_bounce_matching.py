"""bounce matching: a report applies only when tied to a delivery we made; the others are counted

Revision ID: 5d1c7e2b9a40
Revises: 3f8a2c5d7e91
Create Date: 2026-11-30 09:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '5d1c7e2b9a40'
down_revision = '3f8a2c5d7e91'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bounces', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        # Every report recorded before was applied: the default says so for the rows already there.
        batch_op.add_column(sa.Column('applied', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('matched_by', sa.String(length=12), nullable=True))
        batch_op.create_index('ix_bounces_applied_created_at', ['applied', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('bounces', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_index('ix_bounces_applied_created_at')
        batch_op.drop_column('matched_by')
        batch_op.drop_column('applied')
