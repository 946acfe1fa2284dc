"""Work that must wait for the database commit (mail leaving, outbox files deleted): a rollback cancels it.

A feature registers a handler for a key once (``on_commit(key)``); during a transaction it adds items under that
key (``after_commit(key, item)``); once the outermost transaction commits, each handler gets its items in one list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from crm.extensions import db

_PENDING = "crm_after_commit"
_HANDLERS: dict[str, Callable[[list[Any]], None]] = {}


def on_commit(key: str) -> Callable[[Callable[[list[Any]], None]], Callable[[list[Any]], None]]:
    def register(handler: Callable[[list[Any]], None]) -> Callable[[list[Any]], None]:
        _HANDLERS[key] = handler
        return handler
    return register


def after_commit(key: str, item: Any) -> None:
    db.session.connection()  # begins the transaction the item now belongs to, so a rollback drops it
    db.session.info.setdefault(_PENDING, {}).setdefault(key, []).append(item)


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    for key, items in session.info.pop(_PENDING, {}).items():
        _HANDLERS[key](items)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(_PENDING, None)
