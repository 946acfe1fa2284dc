"""signup changes: what the public form proposes for a known contact or organisation, for an editor to apply or not

Revision ID: e4b7d2a9c613
Revises: 9d2b6f0e1a47
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import crm.db


revision = 'e4b7d2a9c613'
down_revision = '9d2b6f0e1a47'
branch_labels = None
depends_on = None


def upgrade():
    # A new table only: the signups already there proposed nothing (their form wrote on the record itself).
    op.create_table('signup_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signup_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=30), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('decided_at', crm.db.UTCDateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_signup_changes_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_signup_changes_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_signup_changes_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['signup_id'], ['signups.id'], name=op.f('fk_signup_changes_signup_id_signups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signup_changes')),
    sa.UniqueConstraint('signup_id', 'field', name=op.f('uq_signup_changes_signup_id_field')),
    sqlite_autoincrement=True,  # ids never reused (9d2b6f0e1a47)
    )
    with op.batch_alter_table('signup_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signup_changes_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signup_changes_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('signup_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signup_changes_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_signup_changes_contact_id'))

    op.drop_table('signup_changes')
