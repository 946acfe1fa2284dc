"""user session token: the per-user secret the session and remember-me cookies carry, changed to end them all

Revision ID: 7c4e2a91b3d5
Revises: 5a1c9e2f7b34
Create Date: 2026-11-28 10:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '7c4e2a91b3d5'
down_revision = '5a1c9e2f7b34'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))

    # Each account already there gets its own random token (as crm.auth.models.new_session_token makes them).
    # The cookies issued before carried the row id: they stop working, everyone logs in once more.
    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('session_token', sa.String(length=64)))
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(session_token=secrets.token_urlsafe(32)))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_session_token'), ['session_token'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_session_token'), type_='unique')
        batch_op.drop_column('session_token')
