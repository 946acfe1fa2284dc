"""Counts the SQL statements a block runs (a SQLAlchemy ``before_cursor_execute`` listener)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crm.extensions import db


@dataclass
class Counter:
    count: int = 0


@contextmanager
def count_queries() -> Iterator[Counter]:
    counter = Counter()

    def listener(*args: Any, **kwargs: Any) -> None:
        counter.count += 1

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
