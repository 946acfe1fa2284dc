"""A database of its own for one benchmark run: a SQLite file, or a fresh schema on the PostgreSQL given."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa


def scratch_database_url(base_url: str | None, sqlite_file: Path, schema: str) -> str:
    if not base_url:
        return f"sqlite:///{sqlite_file}"
    engine = sa.create_engine(base_url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}"
