"""Queueing deliveries and claiming them under a lease. Functions flush or commit as documented on each.

A claim is one ``UPDATE ... WHERE id IN (SELECT ... LIMIT n)`` that moves due queued rows to ``sending`` and
stamps them with a token; on PostgreSQL the inner select is ``FOR UPDATE SKIP LOCKED`` so concurrent senders
take disjoint batches, on SQLite the statement holds the single write lock. Every status written afterwards is
conditioned on the token, so a sender whose claim was taken back (it looked dead) cannot overwrite the new owner.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.dml import Insert

from crm.db import UTCDateTime, utcnow
from crm.extensions import db
from crm.extensions import hooks
from crm.mail.models import Delivery, DeliveryStatus

# Features add conditions a delivery must meet to be claimed (a paused campaign holds its rows): a hook under
# this name returns an SQL condition on ``Delivery``.
CLAIM_FILTER_HOOK = "mail.claim_filter"
ClaimFilter = Callable[[], sa.ColumnElement[bool]]
QUEUE_COLUMNS = ("kind", "contact_id", "campaign_id", "source_id", "dedupe_key")
# Queueing at least this many rows at once refreshes the queue's statistics on PostgreSQL (``queue_from_select``).
ANALYZE_AFTER = 1000


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _insert_ignoring_duplicates() -> Insert:
    table = Delivery.__table__
    if _dialect() == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])


def queue_from_select(rows: sa.Select[Any], *, send_after: datetime | None = None) -> int:
    """Queues, in ONE ``INSERT ... SELECT``, one delivery per row of ``rows``, whose columns are, in this order:
    kind, contact_id, campaign_id, source_id, dedupe_key. Rows whose dedupe_key exists are skipped.
    Returns how many were queued. Flushes; the caller commits."""
    db.session.flush()
    now = utcnow()
    due_type = Delivery.__table__.c.next_attempt_at.type
    source = rows.add_columns(
        sa.literal(DeliveryStatus.QUEUED.value, sa.String), sa.literal(0, sa.Integer),
        sa.literal(send_after or now, due_type), sa.literal(now, due_type),
    )
    stmt = _insert_ignoring_duplicates().from_select(
        [*QUEUE_COLUMNS, "status", "attempts", "next_attempt_at", "created_at"], source
    )
    result = db.session.execute(stmt.execution_options(preserve_rowcount=True))
    queued = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    if queued >= ANALYZE_AFTER and _dialect() == "postgresql":
        # The planner must see the rows just queued before the first claim: with statistics of a nearly empty
        # table it scans and sorts the whole queue for every batch instead of walking the queue's index (autovacuum
        # would analyse the table only a minute or so later). ANALYZE samples the rows (a few tens of ms) and
        # counts this transaction's own.
        db.session.execute(sa.text(f"ANALYZE {Delivery.__tablename__}"))
    return queued


def queue_delivery(kind: str, dedupe_key: str, *, contact_id: int | None = None, campaign_id: int | None = None,
                   source_id: int | None = None, send_after: datetime | None = None) -> int | None:
    """Queues one delivery unless its dedupe_key exists (also under concurrency). Returns its id, or None when it
    was there already. Flushes."""
    db.session.flush()
    now = utcnow()
    stmt = _insert_ignoring_duplicates().values(
        kind=kind, contact_id=contact_id, campaign_id=campaign_id, source_id=source_id, dedupe_key=dedupe_key,
        status=DeliveryStatus.QUEUED.value, attempts=0, next_attempt_at=send_after or now, created_at=now,
    )
    return db.session.execute(stmt.returning(Delivery.__table__.c.id)).scalar()


def claimable(now: datetime | sa.BindParameter[Any],
              only_ids: list[int] | sa.BindParameter[Any] | None = None) -> list[sa.ColumnElement[bool]]:
    conditions = [Delivery.status == DeliveryStatus.QUEUED.value, Delivery.next_attempt_at <= now,
                  *(condition() for condition in hooks(CLAIM_FILTER_HOOK))]
    if only_ids is not None:
        conditions.append(Delivery.id.in_(only_ids))
    return conditions


def still_claimable(token: str) -> set[int]:
    """The rows of a claimed batch that the ``mail.claim_filter`` hooks still let through (a campaign paused
    after the claim holds its rows)."""
    statement = _built_once("still_claimable", lambda: sa.select(Delivery.id).where(
        Delivery.claim_token == sa.bindparam("token", type_=sa.String),
        *(condition() for condition in hooks(CLAIM_FILTER_HOOK))))
    return set(db.session.scalars(statement, {"token": token}))


def _built_once(name: str, build: Callable[[], Any]) -> Any:
    """A statement built once per application (a sender runs it hundreds of times per pass: building and keying
    it cost more than running it); its values are bound parameters."""
    cache: dict[str, Any] = current_app.extensions.setdefault("crm_claim_statements", {})
    if name not in cache:
        cache[name] = build()
    return cache[name]


def has_due(now: datetime, only_ids: list[int] | None = None) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(*claimable(now, only_ids)))))


def claim_batch(limit: int, due_before: datetime, *, tries: int = 5, only_ids: list[int] | None = None) -> str | None:
    """Claims up to ``limit`` due deliveries and COMMITS; returns the claim token, or None if nothing was due.

    The ids are selected first (on PostgreSQL ``FOR UPDATE SKIP LOCKED``: locked until the commit, skipped by
    other senders), then updated only if still queued: on SQLite, where two processes may select the same ids,
    the second update finds them taken and changes nothing. (A single ``UPDATE ... WHERE id IN (SELECT ...
    LIMIT n FOR UPDATE SKIP LOCKED)`` is not safe on PostgreSQL: the planner may rescan the subquery and claim
    far more than n rows.)"""
    token = uuid.uuid4().hex
    statements = _claim_statements(only_ids is not None)
    if _dialect() == "postgresql":
        # The claim's commit need not wait for the disk: after a crash of the database that lost it, the rows
        # are queued again, as after a crash of the sender; the batch's outcomes, committed later, are durable
        # (and carry the claim with them: the log is written in order).
        db.session.execute(_NO_SYNC)
    parameters: dict[str, Any] = {"due_before": due_before, "limit": limit}
    if only_ids is not None:
        parameters["only_ids"] = only_ids
    ids = list(db.session.scalars(statements[0], parameters))
    if not ids:
        db.session.commit()
        return None
    result = db.session.execute(statements[1], {"ids": ids, "claimed_at": utcnow(), "token": token})
    db.session.commit()
    if not result.rowcount and tries > 1:  # type: ignore[attr-defined]
        return claim_batch(limit, due_before, tries=tries - 1, only_ids=only_ids)  # another sender took them first: try again
    return token


def _claim_statements(with_ids: bool) -> tuple[sa.Select[Any], sa.Update]:
    """The claim's two statements (for this database, with or without a list of ids)."""
    dialect = _dialect()
    return _built_once(f"claim:{dialect}:{with_ids}", lambda: _build_claim_statements(dialect, with_ids))


def _build_claim_statements(dialect: str, with_ids: bool) -> tuple[sa.Select[Any], sa.Update]:
    due_type = Delivery.__table__.c.next_attempt_at.type
    only_ids = sa.bindparam("only_ids", expanding=True) if with_ids else None
    due = (sa.select(Delivery.id)
           .where(*claimable(sa.bindparam("due_before", type_=due_type), only_ids))  # type: ignore[arg-type]
           .order_by(Delivery.next_attempt_at, Delivery.id).limit(sa.bindparam("limit", type_=sa.Integer)))
    if dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    take = (sa.update(Delivery)
            .where(Delivery.id.in_(sa.bindparam("ids", expanding=True)),
                   Delivery.status == DeliveryStatus.QUEUED.value)
            .values(status=DeliveryStatus.SENDING.value, claim_token=sa.bindparam("token", type_=sa.String),
                    claimed_at=sa.bindparam("claimed_at", type_=Delivery.__table__.c.claimed_at.type))
            .execution_options(synchronize_session=False))
    return due, take


def take_back_stale_claims(lease_seconds: int, now: datetime | None = None) -> int:
    """Rows claimed longer ago than the lease belong to a sender that died: back to the queue. Flushes."""
    now = now or utcnow()
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING.value,
               Delivery.claimed_at < now - timedelta(seconds=lease_seconds))
        .values(status=DeliveryStatus.QUEUED.value, claim_token=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount or 0  # type: ignore[attr-defined]


def release(token: str, ids: list[int] | None, *, error: str | None = None) -> int:
    """Unsent rows of a batch (``ids``; None: every row of the claim) go back to the queue as they were (no
    attempt counted). Returns how many. Flushes."""
    if ids is not None and not ids:
        return 0
    result = db.session.execute(
        sa.update(Delivery)
        .where(*([Delivery.id.in_(ids)] if ids is not None else []), Delivery.claim_token == token,
               Delivery.status == DeliveryStatus.SENDING.value)
        .values(status=DeliveryStatus.QUEUED.value, claim_token=None, claimed_at=None,
                **({"last_error": error[:500]} if error else {}))
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount or 0  # type: ignore[attr-defined]


def release_claim(token: str) -> int:
    """Every row of a claim still unsent goes back to the queue, and COMMITS (a claim made ahead of a pass that
    stopped). Returns how many."""
    released = release(token, None)
    db.session.commit()
    return released


_OUTCOME = Delivery.__table__.update().where(
    Delivery.__table__.c.id == sa.bindparam("b_id"),
    Delivery.__table__.c.claim_token == sa.bindparam("b_token"),
).values(
    status=sa.bindparam("b_status"),
    attempts=Delivery.__table__.c.attempts + sa.bindparam("b_tried"),
    next_attempt_at=sa.bindparam("b_next", type_=Delivery.__table__.c.next_attempt_at.type),
    last_error=sa.bindparam("b_error"),
    message_id=sa.bindparam("b_message_id"),
    sent_at=sa.bindparam("b_sent_at", type_=Delivery.__table__.c.sent_at.type),
    claim_token=None,
    claimed_at=None,
)


_NO_SYNC = sa.text("SET LOCAL synchronous_commit TO OFF")


_OUTCOME_FIELDS = (("id", sa.Integer()), ("token", sa.String()), ("status", sa.String()), ("tried", sa.Integer()),
                   ("next", UTCDateTime()), ("error", sa.String()), ("message_id", sa.String()),
                   ("sent_at", UTCDateTime()))


def _outcomes_from_arrays() -> sa.Update:
    """PostgreSQL: the whole batch's outcomes in ONE statement, ``UPDATE … FROM unnest(ids, tokens, …)``, one
    array per field (the statement's text never changes, so it is compiled once and prepared): fifty UPDATEs
    cost fifty executions where this costs one."""
    table = Delivery.__table__
    arrays = (sa.bindparam(f"v_{name}", type_=postgresql.ARRAY(kind)) for name, kind in _OUTCOME_FIELDS)
    given = (sa.func.unnest(*arrays).table_valued(*(sa.column(name, kind) for name, kind in _OUTCOME_FIELDS))
             .render_derived(name="v"))
    return (sa.update(table).where(table.c.id == given.c.id, table.c.claim_token == given.c.token)
            .values(status=given.c.status, attempts=table.c.attempts + given.c.tried, next_attempt_at=given.c.next,
                    last_error=given.c.error, message_id=given.c.message_id, sent_at=given.c.sent_at,
                    claim_token=None, claimed_at=None)
            .execution_options(synchronize_session=False))


def record_outcomes(outcomes: list[dict[str, Any]]) -> None:
    """The whole batch's outcomes at once (one statement on PostgreSQL, one executemany on SQLite); each dict
    has id, token, status, tried, next, error, message_id, sent_at. Flushes; the caller commits."""
    if not outcomes:
        return
    if _dialect() == "postgresql":
        statement = _built_once("outcomes", _outcomes_from_arrays)
        db.session.execute(statement, {f"v_{name}": [outcome[name] for outcome in outcomes]
                                       for name, _ in _OUTCOME_FIELDS})
    else:
        db.session.execute(_OUTCOME, [{f"b_{key}": value for key, value in outcome.items()}
                                      for outcome in outcomes])
    db.session.flush()
