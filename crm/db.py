"""Declarative base, constraint naming convention and UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The largest value an ``Integer`` column holds on every database (int4 on PostgreSQL; SQLite goes to 2**63 - 1):
# no id can be larger, so a larger number from a URL or a form names nothing, and must never reach a query.
MAX_INTEGER = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC datetimes on every backend."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def ids_never_reused(metadata: sa.MetaData) -> None:
    """Every table with an integer ``id`` never gives a deleted row's id to a new one (AUTOINCREMENT on SQLite;
    PostgreSQL sequences never go back): a link, a bounce or a log line naming an id names one record forever."""
    for table in metadata.tables.values():
        key = list(table.primary_key.columns)
        if len(key) == 1 and key[0].name == "id" and isinstance(key[0].type, sa.Integer):
            table.dialect_kwargs["sqlite_autoincrement"] = True


def search_key_type(length: int) -> sa.types.TypeEngine[str]:
    """A string column compared byte-wise, so prefix ranges use a plain b-tree index."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def tune_sqlite(engine: sa.Engine) -> None:
    """On SQLite, every connection uses the write-ahead log: the web app keeps reading while the scheduler writes,
    and a commit costs one write instead of a journal file created, synced and deleted. ``synchronous=NORMAL``
    keeps each commit against a crash of the process; a power cut may lose the last ones, never the file."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")  # as PostgreSQL: ON DELETE CASCADE / SET NULL are obeyed
            cursor.close()
