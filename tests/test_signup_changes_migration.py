"""The signup-changes migration on a database that already holds partners and signups (SQLite, or PostgreSQL in
CI): they stay as they were, the new table follows its signup and its contact, and the downgrade removes it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from crm.extensions import db
from tests.test_migrations import empty_database

BEFORE, AFTER = "9d2b6f0e1a47", "e4b7d2a9c613"


def _populate(connection: sa.Connection) -> None:
    connection.execute(sa.text(
        "INSERT INTO organisations (name, name_key, address, commune, commune_key, website, created_at, updated_at) "
        "VALUES ('Plasturgie du Perche', 'plasturgie du perche', '', 'Alençon', 'alencon', '', CURRENT_TIMESTAMP, "
        "CURRENT_TIMESTAMP)"))
    for index in range(2):
        connection.execute(sa.text(
            "INSERT INTO contacts (civility, first_name, last_name, first_name_key, last_name_key, email, phone, "
            "job_title, ambassador_status, language, link_secret, organisation_id, created_at, updated_at) VALUES "
            "('', 'Anne', :name, 'anne', :key, :email, '', '', 'none', 'fr', :secret, "
            "(SELECT MIN(id) FROM organisations), CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"name": f"Martin{index}", "key": f"martin{index}", "email": f"anne{index}@example.org",
             "secret": f"secret-{index}"})
        connection.execute(sa.text(
            "INSERT INTO signups (contact_id, organisation_id, message, wording_version, created_contact, "
            "created_organisation, previous_status, created_at) VALUES ((SELECT id FROM contacts WHERE email = "
            ":email), (SELECT MIN(id) FROM organisations), '', 'v1', :true, :false, 'none', CURRENT_TIMESTAMP)"),
            {"email": f"anne{index}@example.org", "true": True, "false": False})
        connection.execute(sa.text(
            "INSERT INTO signup_requests (signup_id, contact_id, kind, status) SELECT id, contact_id, 'newsletter', "
            "'waiting' FROM signups WHERE contact_id = (SELECT id FROM contacts WHERE email = :email)"),
            {"email": f"anne{index}@example.org"})


def _rows(connection: sa.Connection) -> list[list[tuple[object, ...]]]:
    return [list(connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")))
            for table in ("organisations", "contacts", "signups", "signup_requests")]


def test_signup_changes_table_on_a_populated_database(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            _populate(connection)
            before = _rows(connection)
        upgrade(revision=AFTER)
        with db.engine.begin() as connection:  # the pooled connection enforces foreign keys again
            assert _rows(connection) == before
            assert connection.scalar(sa.text("SELECT COUNT(*) FROM signup_changes")) == 0
            connection.execute(sa.text(
                "INSERT INTO signup_changes (signup_id, contact_id, organisation_id, field, value, status) "
                "SELECT id, contact_id, organisation_id, 'phone', '\"06 00 00 00 00\"', 'open' FROM signups"))
            connection.execute(sa.text("DELETE FROM signups WHERE id = (SELECT MIN(id) FROM signups)"))
            # The change goes with its signup; the organisation deleted leaves the other one unattached.
            assert connection.scalar(sa.text("SELECT COUNT(*) FROM signup_changes")) == 1
            connection.execute(sa.text("UPDATE contacts SET organisation_id = NULL"))
            connection.execute(sa.text("UPDATE signups SET organisation_id = NULL"))
            connection.execute(sa.text("DELETE FROM organisations"))
            assert list(connection.execute(sa.text("SELECT organisation_id, field FROM signup_changes"))) == [
                (None, "phone")]
        columns = {c["name"]: c["nullable"] for c in sa.inspect(db.engine).get_columns("signup_changes")}
        assert columns["value"] is False and columns["organisation_id"] is True
        downgrade(revision=BEFORE)
        assert "signup_changes" not in sa.inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT COUNT(*) FROM contacts")) == 2
