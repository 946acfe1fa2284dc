"""The contact_emails migration on a populated database of the previous version (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from crm.extensions import db
from tests.test_migrations import empty_database, insert_contact

BEFORE, AFTER = "e6a101fc51c5", "c5a1e7d3f902"


def test_a_populated_database_upgrades_then_keeps_another_address(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            insert_contact(connection)
        upgrade(revision=AFTER)
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO contact_emails (contact_id, email, source, created_at) VALUES "
                "((SELECT id FROM contacts), 'p.ancienne@example.org', 'merge', CURRENT_TIMESTAMP)"))
            with pytest.raises(sa.exc.IntegrityError):
                with connection.begin_nested():
                    connection.execute(sa.text(
                        "INSERT INTO contact_emails (contact_id, email, source, created_at) VALUES "
                        "((SELECT id FROM contacts), 'p.ancienne@example.org', 'merge', CURRENT_TIMESTAMP)"))
        with db.engine.begin() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM contacts")) == 1
            connection.execute(sa.text("DELETE FROM contacts"))
        with db.engine.connect() as connection:  # ON DELETE CASCADE: the other addresses go with the person
            assert connection.scalar(sa.text("SELECT count(*) FROM contact_emails")) == 0
        downgrade(revision=BEFORE)
        assert "contact_emails" not in sa.inspect(db.engine).get_table_names()
