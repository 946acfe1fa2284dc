"""contact words: the later words of compound first and last names, for searches by any of them

Revision ID: dacb1f1c0bfa
Revises: 1254c07bbfbb
Create Date: 2026-11-27 01:40:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa


revision = 'dacb1f1c0bfa'
down_revision = '1254c07bbfbb'
branch_labels = None
depends_on = None


def upgrade():
    words = op.create_table('contact_words',
    sa.Column('word', sa.String(length=100).with_variant(sa.String(length=100, collation='C'), 'postgresql'), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_words_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('word', 'contact_id', name=op.f('pk_contact_words')),
    )
    with op.batch_alter_table('contact_words', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_words_contact_id'), ['contact_id'], unique=False)

    # The contacts already there, erased ones excepted (as crm.partners.words.words_of(..., skip_first=True) at this revision).
    connection = op.get_bind()
    rows = []
    for contact_id, first_key, last_key in connection.execute(sa.text(
            "SELECT id, first_name_key, last_name_key FROM contacts WHERE email IS NOT NULL")):
        found = {w[:100] for key in (first_key, last_key) if key for w in re.split(r"[ \-]+", key)[1:] if w}
        rows.extend({"word": word, "contact_id": contact_id} for word in sorted(found))
    if rows:
        op.bulk_insert(words, rows)


def downgrade():
    with op.batch_alter_table('contact_words', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_words_contact_id'))

    op.drop_table('contact_words')
