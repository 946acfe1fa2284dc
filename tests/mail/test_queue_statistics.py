"""Queueing many rows at once refreshes the queue's statistics on PostgreSQL, so the first claims walk the queue's
index instead of scanning and sorting the whole queue (the planner would otherwise see a nearly empty table until
autovacuum analyses it, a minute or so later)."""

from __future__ import annotations

import sqlalchemy as sa

from crm.mail import claims
from crm.partners.models import Contact
from tests import factories


def _queue(db, prefix: str) -> int:
    rows = sa.select(sa.literal("campaign"), Contact.id, sa.null(), sa.null(),
                     sa.literal(f"{prefix}:") + sa.cast(Contact.id, sa.String)).where(Contact.email.like(f"{prefix}%"))
    return claims.queue_from_select(rows)


def _estimated_rows(db) -> float:
    return db.session.scalar(sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('deliveries')"))


def test_a_large_queueing_refreshes_the_statistics_a_small_one_does_not(postgres_only, db, monkeypatch) -> None:
    monkeypatch.setattr(claims, "ANALYZE_AFTER", 30)
    factories.bulk_subscribers(29, prefix="peu")
    factories.bulk_subscribers(30, prefix="assez")
    db.session.commit()
    before = _estimated_rows(db)
    assert _queue(db, "peu") == 29  # one short of the threshold: statistics left as they were
    assert _estimated_rows(db) == before
    assert _queue(db, "assez") == 30  # at the threshold: the 59 rows (this transaction's own) are counted
    assert _estimated_rows(db) == 59
    db.session.commit()
