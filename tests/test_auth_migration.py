"""The session-token migration on a database that already holds accounts (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from crm.extensions import db
from tests.test_migrations import empty_database

BEFORE = "5a1c9e2f7b34"


def _users(connection: sa.Connection) -> list[tuple[str, str | None]]:
    return [tuple(row) for row in connection.execute(sa.text("SELECT email, session_token FROM users ORDER BY id"))]


def test_existing_accounts_get_each_their_own_session_token(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for email in ("a@example.org", "b@example.org"):
                connection.execute(sa.text(
                    "INSERT INTO users (email, name, password_hash, role, active, created_at) "
                    "VALUES (:email, '', 'x', 'viewer', true, CURRENT_TIMESTAMP)"), {"email": email})
        upgrade()
        with db.engine.connect() as connection:
            users = _users(connection)
        tokens = [token for _, token in users]
        assert [email for email, _ in users] == ["a@example.org", "b@example.org"]
        assert all(token and len(token) >= 40 for token in tokens) and len(set(tokens)) == 2
        unique = sa.inspect(db.engine).get_unique_constraints("users")
        assert {"name": "uq_users_session_token", "column_names": ["session_token"]} in [
            {"name": u["name"], "column_names": u["column_names"]} for u in unique]

        downgrade(revision=BEFORE)
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("users")}
        assert "session_token" not in columns and "email" in columns
