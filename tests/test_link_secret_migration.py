"""The link-secret migration on a database that already holds contacts (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from crm.extensions import db
from tests.test_migrations import empty_database

BEFORE, AFTER = "dacb1f1c0bfa", "5a1c9e2f7b34"


def test_existing_contacts_get_each_their_own_link_secret(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for index in range(3):
                connection.execute(sa.text(
                    "INSERT INTO contacts (civility, first_name, last_name, first_name_key, last_name_key, email, "
                    "phone, job_title, ambassador_status, language, created_at, updated_at) VALUES ('', 'P', :name, "
                    "'p', :key, :email, '', '', 'none', 'fr', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"name": f"N{index}", "key": f"n{index}", "email": f"p{index}@example.org"})
        upgrade(revision=AFTER)
        with db.engine.connect() as connection:
            secrets = list(connection.scalars(sa.text("SELECT link_secret FROM contacts ORDER BY id")))
        assert len(secrets) == 3 and all(secret and len(secret) >= 16 for secret in secrets)
        assert len(set(secrets)) == 3
        nullable = {c["name"]: c["nullable"] for c in sa.inspect(db.engine).get_columns("contacts")}
        assert nullable["link_secret"] is False
