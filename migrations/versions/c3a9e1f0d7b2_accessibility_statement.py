"""accessibility statement: the déclaration d'accessibilité an admin keeps (one row; new table only)

Revision ID: c3a9e1f0d7b2
Revises: c5e8a1d2f403
Create Date: 2026-11-30 09:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

import crm.db


# revision identifiers, used by Alembic.
revision = 'c3a9e1f0d7b2'
down_revision = 'c5e8a1d2f403'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('accessibility_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('audit_summary', sa.Text(), nullable=False),
    sa.Column('non_accessible', sa.Text(), nullable=False),
    sa.Column('contact', sa.Text(), nullable=False),
    sa.Column('updated_at', crm.db.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_accessibility_statements_updated_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accessibility_statements')),
    sqlite_autoincrement=True
    )


def downgrade():
    op.drop_table('accessibility_statements')
