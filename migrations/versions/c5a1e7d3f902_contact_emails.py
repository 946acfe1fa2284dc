"""contact_emails: the other addresses of a person, kept when two records of them are merged (new table only)

Revision ID: c5a1e7d3f902
Revises: e6a101fc51c5
Create Date: 2026-11-30 10:05:00.000000

"""
from alembic import op
import sqlalchemy as sa

import crm.db


# revision identifiers, used by Alembic.
revision = 'c5a1e7d3f902'
down_revision = 'e6a101fc51c5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254).with_variant(sa.String(length=254, collation='C'), 'postgresql'),
              nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', crm.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_emails_contact_id_contacts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_emails')),
    sa.UniqueConstraint('email', name=op.f('uq_contact_emails_email')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('contact_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_emails_contact_id'), ['contact_id'], unique=False)


def downgrade():
    with op.batch_alter_table('contact_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_emails_contact_id'))
    op.drop_table('contact_emails')
