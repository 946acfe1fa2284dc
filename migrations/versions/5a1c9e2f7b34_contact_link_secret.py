"""contact link secret: the links in mail are bound to the person, not to an id alone

Revision ID: 5a1c9e2f7b34
Revises: dacb1f1c0bfa
Create Date: 2026-11-30 07:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '5a1c9e2f7b34'
down_revision = 'dacb1f1c0bfa'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_secret', sa.String(length=32), nullable=True))
    contacts = sa.table('contacts', sa.column('id', sa.Integer), sa.column('link_secret', sa.String))
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.select(contacts.c.id))]
    for start in range(0, len(ids), 1000):
        connection.execute(
            contacts.update().where(contacts.c.id == sa.bindparam('b_id')).values(link_secret=sa.bindparam('b_secret')),
            [{'b_id': contact_id, 'b_secret': secrets.token_urlsafe(12)} for contact_id in ids[start:start + 1000]],
        )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.alter_column('link_secret', existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('link_secret')
