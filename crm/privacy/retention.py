"""Retention of prospects' data (CNIL): after RETENTION_YEARS without contact initiated by the person, a
prospect is listed for review; unless someone keeps them, they are erased after RETENTION_GRACE_DAYS.

A prospect: a contact not erased, not an active or candidate ambassador, whose organisation is not a
current member of the Club des Industriels. Contact initiated by the person: their signup, confirmations and
preference changes (consent ledger entries not written by the team or an import), and any answer they gave
in a table that points at them (columns such as responded_at, answered_at: found by introspection).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from crm.consent.models import ConsentRecord
from crm.db import utcnow
from crm.extensions import db
from crm.partners.models import AmbassadorStatus, ClubMembership, Contact
from crm.privacy.erasure import erase_contact
from crm.privacy.models import RetentionReview, ReviewStatus
from crm.privacy.references import references_to

NOT_INITIATED_BY_PERSON = ("admin", "import", "retention", "system", "scheduler", "bounce", "erasure")
PERSON_ACTION_COLUMNS = ("responded_at", "answered_at", "replied_at", "rsvp_at", "registered_at", "attended_at",
                         "confirmed_at", "submitted_at")


def retention_years() -> int:
    return int(current_app.config.get("RETENTION_YEARS", 3))


def grace_days() -> int:
    return int(current_app.config.get("RETENTION_GRACE_DAYS", 30))


def _initiatives() -> sa.Subquery:
    parts: list[Any] = [
        sa.select(ConsentRecord.contact_id.label("contact_id"), ConsentRecord.at.label("at"))
        .where(ConsentRecord.source.not_in(NOT_INITIATED_BY_PERSON)),
        sa.select(Contact.id.label("contact_id"), Contact.created_at.label("at")),
    ]
    for ref in references_to("contacts"):
        for name in PERSON_ACTION_COLUMNS:
            if name in ref.table.c and ref.table.name != "subscriptions":
                parts.append(sa.select(ref.column.label("contact_id"), ref.table.c[name].label("at"))
                             .where(ref.table.c[name].is_not(None)))
    union = sa.union_all(*parts).subquery()
    return (sa.select(union.c.contact_id, sa.func.max(union.c.at).label("last_at"))
            .group_by(union.c.contact_id).subquery())


@dataclass
class Stale:
    contact_id: int
    last_initiative_at: datetime


def years_before(moment: datetime, years: int) -> datetime:
    """The same day and time ``years`` calendar years earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def stale_prospects(now: datetime | None = None) -> list[Stale]:
    now = now or utcnow()
    cutoff = years_before(now, retention_years())
    today = now.date()
    last = _initiatives()
    club = (sa.select(ClubMembership.organisation_id).where(
        ClubMembership.joined_on <= today,
        sa.or_(ClubMembership.left_on.is_(None), ClubMembership.left_on > today)))
    reviewed = sa.select(RetentionReview.contact_id).where(sa.or_(
        RetentionReview.status.in_([ReviewStatus.PENDING.value, ReviewStatus.PURGED.value]),
        sa.and_(RetentionReview.status == ReviewStatus.KEPT.value, RetentionReview.decided_at > cutoff)))
    stmt = (sa.select(Contact.id, last.c.last_at).join(last, last.c.contact_id == Contact.id)
            .where(Contact.email.is_not(None),
                   Contact.ambassador_status.not_in([AmbassadorStatus.ACTIVE.value, AmbassadorStatus.CANDIDATE.value]),
                   sa.or_(Contact.organisation_id.is_(None), Contact.organisation_id.not_in(club)),
                   Contact.id.not_in(reviewed), last.c.last_at < cutoff)
            .order_by(last.c.last_at))
    return [Stale(contact_id, _aware(at)) for contact_id, at in db.session.execute(stmt)]


def _aware(value: Any) -> datetime:
    # A MAX() over a UNION loses the column type on some backends: bring it back to an aware UTC datetime.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def flag_for_review(now: datetime | None = None) -> int:
    now = now or utcnow()
    stale = stale_prospects(now)
    existing = {r.contact_id: r for r in db.session.scalars(sa.select(RetentionReview).where(
        RetentionReview.contact_id.in_([s.contact_id for s in stale])))} if stale else {}
    for item in stale:
        review = existing.get(item.contact_id)
        if review is None:
            review = RetentionReview(contact_id=item.contact_id)
            db.session.add(review)
        review.status = ReviewStatus.PENDING.value
        review.last_initiative_at = item.last_initiative_at
        review.flagged_at = now
        review.purge_after = now + timedelta(days=grace_days())
        review.decided_at = review.decided_by_id = None
    db.session.flush()
    return len(stale)


def keep(review: RetentionReview, user_id: int | None = None) -> None:
    review.status = ReviewStatus.KEPT.value
    review.decided_at = utcnow()
    review.decided_by_id = user_id
    db.session.flush()


def purge(review: RetentionReview, user_id: int | None = None) -> None:
    contact = db.session.get(Contact, review.contact_id)
    if contact is not None and contact.email:
        erase_contact(contact, user_id=user_id, reason="retention")
    review = db.session.get(RetentionReview, review.id)  # erase_contact expires the session
    review.status = ReviewStatus.PURGED.value
    review.decided_at = utcnow()
    review.decided_by_id = user_id
    db.session.flush()


def purge_due(now: datetime | None = None) -> int:
    now = now or utcnow()
    due = list(db.session.scalars(sa.select(RetentionReview).where(
        RetentionReview.status == ReviewStatus.PENDING.value, RetentionReview.purge_after <= now)))
    for review in due:
        purge(review)
    return len(due)


def pending_reviews() -> list[tuple[RetentionReview, Contact]]:
    stmt = (sa.select(RetentionReview, Contact).join(Contact, Contact.id == RetentionReview.contact_id)
            .where(RetentionReview.status == ReviewStatus.PENDING.value).order_by(RetentionReview.purge_after))
    return [(review, contact) for review, contact in db.session.execute(stmt)]
