"""Ids are never reused: a deleted record's id is never given to a new one (a link, a bounce report or a log
line naming that id must not land on someone else), on a schema built by the models and by the migrations."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from crm.extensions import db
from crm.partners.models import Contact
from tests import factories
from tests.test_migrations import empty_database


def _next_id_after_deleting_the_last() -> tuple[int, int]:
    first = factories.contact("premier@example.org", "Premier", "Contact")
    db.session.commit()
    gone = first.id
    db.session.delete(first)
    db.session.commit()
    second = factories.contact("second@example.org", "Second", "Contact")
    db.session.commit()
    return gone, second.id


def test_a_deleted_contacts_id_is_not_given_again(app) -> None:
    gone, new = _next_id_after_deleting_the_last()
    assert new > gone


def test_the_migrated_schema_never_reuses_ids_either(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path) as app:
        upgrade()
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as connection:
                rows = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
                tables = {name: sql for name, sql in rows}
            for name in ("contacts", "organisations", "invitations", "deliveries", "signups", "users", "events"):
                assert "AUTOINCREMENT" in tables[name].upper(), name
        with app.app_context():
            gone, new = _next_id_after_deleting_the_last()
            assert new > gone
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1


def test_every_table_with_an_integer_id_is_created_so(database_url: str, tmp_path: Path) -> None:
    """Tables added by later migrations too: the models say so for all of them (crm.db.ids_never_reused)."""
    with empty_database(database_url, tmp_path):
        upgrade()
        if db.engine.dialect.name != "sqlite":
            return
        with db.engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            tables = {name: sql for name, sql in rows}
        with_ids = [table.name for table in db.metadata.sorted_tables
                    if table.dialect_kwargs.get("sqlite_autoincrement")]
        assert len(with_ids) > 15
        assert [name for name in with_ids if "AUTOINCREMENT" not in tables[name].upper()] == []
