"""The migrations build the same schema as the models, on SQLite and PostgreSQL, with a single head."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade

from crm import create_app
from crm.extensions import db

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "migration_check"


def _empty_database_url(database_url: str, tmp_path: Path) -> str:
    if not database_url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}options=-csearch_path%3D{SCHEMA}"


def test_single_head() -> None:
    script = ScriptDirectory.from_config(_alembic_config())
    assert len(script.get_heads()) == 1


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


@contextmanager
def empty_database(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database of the suite's backend (a schema of its own on PostgreSQL), in its app
    context; dropped afterwards. For migrations run on an empty or a populated database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": _empty_database_url(database_url, tmp_path), "TESTING": True,
                      "SECRET_KEY": "test"})
    try:
        with app.app_context():
            try:
                yield app
            finally:
                db.engine.dispose()
    finally:
        if database_url.startswith("postgresql"):
            engine = sa.create_engine(database_url)
            with engine.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            engine.dispose()


def insert_organisation(connection: sa.Connection, name: str) -> None:
    """An organisation row as every revision since the reference taxonomy holds it, for migration tests on a
    populated database."""
    connection.execute(sa.text(
        "INSERT INTO organisations (name, name_key, address, commune, commune_key, website, created_at, updated_at) "
        "VALUES (:name, :key, '', '', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
        {"name": name, "key": name.lower()})


def insert_contact(connection: sa.Connection, email: str = "p@example.org", *, organisation: str | None = None,
                   ambassador: str = "none") -> None:
    """A contact row as every revision since the link secret holds it, for migration tests on a populated
    database; ``organisation``: the name of an organisation row already inserted."""
    connection.execute(sa.text(
        "INSERT INTO contacts (civility, first_name, last_name, first_name_key, last_name_key, email, phone, "
        "job_title, ambassador_status, language, link_secret, organisation_id, created_at, updated_at) "
        "VALUES ('', 'P', 'N', 'p', 'n', :email, '', '', :ambassador, 'fr', 'abcdefabcdefabcdef', "
        "(SELECT id FROM organisations WHERE name = :organisation), CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
        {"email": email, "organisation": organisation, "ambassador": ambassador})


def test_upgrade_from_empty_matches_the_models(database_url: str, tmp_path: Path) -> None:
    with empty_database(database_url, tmp_path):
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "compare_server_default": False})
            diff = compare_metadata(context, db.metadata)
    assert diff == [], diff
