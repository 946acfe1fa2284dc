"""bounce report key: a failure report read twice counts once

Revision ID: b31ed6eaae1b
Revises: 3e0964f5b009
Create Date: 2026-11-27 00:32:59.394579

"""
from alembic import op
import sqlalchemy as sa


revision = 'b31ed6eaae1b'
down_revision = '3e0964f5b009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bounces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_bounces_report_key_email_hash', ['report_key', 'email_hash'])


def downgrade():
    with op.batch_alter_table('bounces', schema=None) as batch_op:
        batch_op.drop_constraint('uq_bounces_report_key_email_hash', type_='unique')
        batch_op.drop_column('report_key')
