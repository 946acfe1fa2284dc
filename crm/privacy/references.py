"""Finds, from the SQLAlchemy metadata, every table that points at a contact or an organisation.

Merge, export and erasure rely on this instead of a hand-kept list, so tables added by other features
(deliveries, invitations, signups...) are covered as soon as their models are imported; what a feature says of
its tables (``Feature.privacy``: titles, personal columns, derived tables) comes from its declaration.
"""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.extensions import PrivacyTable, privacy_tables


@dataclass(frozen=True)
class Reference:
    table: sa.Table
    column: sa.Column[Any]

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"

    def unique_groups(self) -> list[list[sa.Column[Any]]]:
        """Other columns that, together with this one, must be unique (a move may collide on them)."""
        groups: list[list[sa.Column[Any]]] = []
        candidates: list[list[sa.Column[Any]]] = []
        if self.table.primary_key is not None and len(self.table.primary_key.columns):
            candidates.append(list(self.table.primary_key.columns))
        for constraint in self.table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                candidates.append(list(constraint.columns))
        for index in self.table.indexes:
            if index.unique:
                candidates.append([c for c in index.columns if isinstance(c, sa.Column)])
        for column in self.table.columns:
            if column.unique:
                candidates.append([column])
        for cols in candidates:
            if any(c is self.column for c in cols):
                others = [c for c in cols if c is not self.column]
                if others not in groups:
                    groups.append(others)
        return groups


def references_to(table_name: str) -> list[Reference]:
    """Every (table, column) with a foreign key to ``table_name``.id, in dependency order. Tables a feature
    declares derived (search words rebuilt from the record's own columns) are left out."""
    rules = privacy_tables()
    found = []
    for table in db.metadata.sorted_tables:
        if table.name in rules and rules[table.name].derived:
            continue
        for column in table.columns:
            for fk in column.foreign_keys:
                if fk.column.table.name == table_name and fk.column.name == "id":
                    found.append(Reference(table, column))
    return found


def rule_of(table_name: str) -> PrivacyTable:
    return privacy_tables().get(table_name) or PrivacyTable(table_name)


def title_of(table_name: str) -> str:
    return rule_of(table_name).title or table_name


def primary_key_of(table: sa.Table) -> list[sa.Column[Any]]:
    return list(table.primary_key.columns)


def is_text(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.String | sa.Text | sa.Enum) or (
        isinstance(column.type, sa.types.TypeDecorator) and isinstance(column.type.impl, sa.String | sa.Text))


def is_json(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.JSON)


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def rows_of(ref: Reference, owner_id: int) -> list[dict[str, Any]]:
    stmt = sa.select(ref.table).where(ref.column == owner_id)
    pk = primary_key_of(ref.table)
    if pk:
        stmt = stmt.order_by(*pk)
    return [dict(row) for row in db.session.execute(stmt).mappings()]


def label_of(table: sa.Table, row_id: Any) -> str:
    """A human label for a referenced row (an event's title, a campaign's subject...)."""
    for name in ("title", "subject", "name", "label", "code"):
        if name in table.c:
            value = db.session.scalar(sa.select(table.c[name]).where(table.c.id == row_id)) if "id" in table.c else None
            if value:
                return str(value)
    return f"{table.name} #{row_id}"
