"""contact search indexes: the search's ways in (last name, first name, e-mail, organisation) carry the name
keys, the id and the organisation, so a search at a million contacts reads its matches from the indexes alone

Revision ID: d4f7b2c8e915
Revises: c3a9e1f0d7b2
Create Date: 2026-11-30 16:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4f7b2c8e915'
down_revision = 'c3a9e1f0d7b2'
branch_labels = None
depends_on = None

WIDENED = {
    'ix_contacts_name_keys': (['last_name_key', 'first_name_key'],
                              ['last_name_key', 'first_name_key', 'id', 'organisation_id']),
    'ix_contacts_first_name_key': (['first_name_key'], ['first_name_key', 'last_name_key', 'id', 'organisation_id']),
    'ix_contacts_organisation_id': (['organisation_id'], ['organisation_id', 'last_name_key', 'first_name_key', 'id']),
}
EMAIL_KEYS = ['email', 'last_name_key', 'first_name_key', 'id', 'organisation_id']


def upgrade():
    for name, (_, columns) in WIDENED.items():
        op.drop_index(name, table_name='contacts')
        op.create_index(name, 'contacts', columns)
    op.create_index('ix_contacts_email_keys', 'contacts', EMAIL_KEYS)


def downgrade():
    op.drop_index('ix_contacts_email_keys', table_name='contacts')
    for name, (columns, _) in WIDENED.items():
        op.drop_index(name, table_name='contacts')
        op.create_index(name, 'contacts', columns)
