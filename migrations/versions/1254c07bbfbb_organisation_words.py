"""organisation words: every word of an organisation's name and commune keys, for searches by a later word

Revision ID: 1254c07bbfbb
Revises: b31ed6eaae1b
Create Date: 2026-11-27 00:50:47.518675

"""
import re

from alembic import op
import sqlalchemy as sa


revision = '1254c07bbfbb'
down_revision = 'b31ed6eaae1b'
branch_labels = None
depends_on = None


def upgrade():
    words = op.create_table('organisation_words',
    sa.Column('word', sa.String(length=120).with_variant(sa.String(length=120, collation='C'), 'postgresql'), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_words_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('word', 'organisation_id', name=op.f('pk_organisation_words'))
    )
    with op.batch_alter_table('organisation_words', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_words_organisation_id'), ['organisation_id'], unique=False)

    # The organisations already there (as crm.partners.words.words_of splits the keys at this revision).
    connection = op.get_bind()
    rows = []
    for organisation_id, name_key, commune_key in connection.execute(
            sa.text("SELECT id, name_key, commune_key FROM organisations")):
        found = {w[:120] for key in (name_key, commune_key) if key for w in re.split(r"[ \-]+", key) if w}
        rows.extend({"word": word, "organisation_id": organisation_id} for word in sorted(found))
    if rows:
        op.bulk_insert(words, rows)


def downgrade():
    with op.batch_alter_table('organisation_words', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_words_organisation_id'))

    op.drop_table('organisation_words')
