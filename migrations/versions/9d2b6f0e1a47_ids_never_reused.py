"""ids never reused: every table with an integer id gets AUTOINCREMENT on SQLite (PostgreSQL sequences already
never go back), so a link, a bounce or a log line naming an id names one record forever

Revision ID: 9d2b6f0e1a47
Revises: 7c4e2a91b3d5
Create Date: 2026-11-30 07:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '9d2b6f0e1a47'
down_revision = '7c4e2a91b3d5'
branch_labels = None
depends_on = None


def _tables_with_integer_ids(connection: sa.Connection) -> list[str]:
    inspector = sa.inspect(connection)
    found = []
    for name in inspector.get_table_names():
        if name == 'alembic_version':
            continue
        key = inspector.get_pk_constraint(name).get('constrained_columns') or []
        columns = {column['name']: column for column in inspector.get_columns(name)}
        if key == ['id'] and isinstance(columns['id']['type'], sa.Integer):
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).scalar() or ''
            if 'AUTOINCREMENT' not in sql.upper():
                found.append(name)
    return found


def _recreate(autoincrement: bool) -> None:
    connection = op.get_bind()
    if connection.dialect.name != 'sqlite':
        return
    names = _tables_with_integer_ids(connection) if autoincrement else [
        name for name in sa.inspect(connection).get_table_names() if name != 'alembic_version']
    for name in names:
        # The copy keeps the rows and their ids; the table's sequence starts after the highest one.
        with op.batch_alter_table(name, recreate='always',
                                  table_kwargs={'sqlite_autoincrement': autoincrement}) as batch_op:
            pass


def upgrade():
    _recreate(True)


def downgrade():
    pass  # ids that are never reused harm nothing: the tables keep AUTOINCREMENT
