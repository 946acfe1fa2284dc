"""Server-side pagination shared by every list page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from crm.db import MAX_INTEGER
from crm.extensions import db

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    per_page: int
    # True when counting stopped at the limit: ``total`` is then a lower bound ("plus de 1 000").
    total_is_capped: bool = False
    # When the count stopped at the limit on a list with no filter: the table's size as the database's
    # statistics estimate it (shown "environ …", marked as an estimate), never a COUNT(*) of the whole table.
    estimate: int | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or (self.total_is_capped and len(self.items) == self.per_page)

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return 0 if not self.items else (self.page - 1) * self.per_page + len(self.items)


def table_estimate(table: sa.Table) -> int | None:
    """The number of rows of ``table`` as the planner's statistics have it (PostgreSQL ``pg_class.reltuples``,
    SQLite ``sqlite_stat1``, both refreshed by ANALYZE), or None when there are none: no scan of the table."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        value = session.scalar(sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)"),
                               {"name": table.name})
        return int(value) if value is not None and value >= 0 else None
    try:
        stat = session.scalar(sa.text("SELECT stat FROM sqlite_stat1 WHERE tbl = :name ORDER BY idx IS NOT NULL, idx "
                                      "LIMIT 1"), {"name": table.name})
    except sa.exc.OperationalError:  # no ANALYZE ever ran: no statistics table
        return None
    try:
        return int(str(stat).split()[0]) if stat else None
    except ValueError:
        return None


def page_number(page: int, per_page: int) -> int:
    """``page`` within what a query can ask for: from 1 to the page that starts at the last row an ``Integer``
    id can number (beyond, the page is empty anyway; the database would refuse the offset)."""
    return min(max(1, page), MAX_INTEGER // max(1, per_page) + 1)


def paginate(stmt: sa.Select[Any], page: int, per_page: int, count_limit: int | None = None,
             key: Any = None) -> Page[Any]:
    """One page of ``stmt``. With ``count_limit``, counting stops there, so that a broad search on a large
    base costs the same as on a small one (the page then says "plus de N").

    With ``key`` (the entity's primary key column) and ``count_limit``, the conditions and the sort run once,
    over that column only (``_paginate_by_key``): no eager-loaded joins for every match."""
    page = page_number(page, per_page)
    if key is not None and count_limit is not None:
        return _paginate_by_key(stmt, page, per_page, count_limit, key)
    counted = stmt.order_by(None)
    if count_limit is not None:
        counted = counted.limit(count_limit + 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(counted.subquery())) or 0
    capped = count_limit is not None and total > count_limit
    if capped and count_limit is not None:
        total = count_limit
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(items=items, total=total, page=page, per_page=per_page, total_is_capped=capped)


def _paginate_by_key(stmt: sa.Select[Any], page: int, per_page: int, count_limit: int, key: Any) -> Page[Any]:
    """One statement gives both the count and the page: the keys of the matches in order, up to the count
    limit (or to the end of the page asked for, if further); the page's rows are then loaded by key. The
    conditions (a search's union of index scans) run once instead of twice, and the sort carries one column."""
    return paginate_keys(stmt.with_only_columns(key), stmt.column_descriptions[0]["entity"], key, page, per_page,
                         count_limit)


def paginate_keys(keys: sa.Select[Any], entity: Any, key: Any, page: int, per_page: int,
                  count_limit: int) -> Page[Any]:
    """One page from a statement that selects the keys of the matches in order (the list's own, possibly shaped
    for the planner), counting up to ``count_limit``; the page's rows of ``entity`` are then loaded by ``key``."""
    page = page_number(page, per_page)
    start = (page - 1) * per_page
    found = list(db.session.scalars(keys.limit(max(count_limit + 1, start + per_page))))
    total, capped = len(found), len(found) > count_limit
    return page_of_keys(found, entity, key, page, per_page, count_limit if capped else total, capped)


def page_of_keys(found: Sequence[Any], entity: Any, key: Any, page: int, per_page: int, total: int,
                 capped: bool) -> Page[Any]:
    """The page ``page`` of the keys ``found`` (in the list's order): its rows of ``entity`` loaded by ``key``.
    ``entity`` is a mapped class (its objects) or a ``Select`` of columns including ``key`` (its rows)."""
    start = (page - 1) * per_page
    window = found[start:start + per_page]
    rows = {getattr(row, key.key): row for row in _rows_of(entity, key, window)} if window else {}
    items = [rows[value] for value in window if value in rows]
    return Page(items=items, total=total, page=page, per_page=per_page, total_is_capped=capped)


def _rows_of(entity: Any, key: Any, values: Sequence[Any]) -> Any:
    if isinstance(entity, sa.Select):
        return db.session.execute(entity.where(key.in_(values)))
    return db.session.scalars(sa.select(entity).where(key.in_(values))).unique()
