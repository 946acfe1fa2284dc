"""Recording bounces and deciding when an address is suppressed. Functions flush; callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app

from crm.bounces.models import Bounce, BounceMatch
from crm.consent.models import SuppressionReason
from crm.forms import email_hash
from crm.consent.services import is_suppressed, suppress
from crm.db import utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.mail.models import Delivery, DeliveryStatus


class BounceOutcome(StrEnum):
    SUPPRESSED = "suppressed"  # permanent, or the temporary failure that crossed the threshold
    SCORED = "scored"  # temporary, counted
    ALREADY = "already"  # the address was already suppressed
    UNMATCHED = "unmatched"  # tied to no delivery of ours: counted, never applied


def soft_bounce_count(digest: str) -> int:
    since = utcnow() - timedelta(days=current_app.config["SOFT_BOUNCE_WINDOW_DAYS"])
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Bounce)
        .where(Bounce.email_hash == digest, Bounce.permanent.is_(False), Bounce.applied.is_(True),
               Bounce.created_at >= since)
    ) or 0


def record_bounce(email: str, *, permanent: bool, delivery_id: int | None = None, source: str = "dsn",
                  detail: str = "", report_key: str | None = None,
                  matched_by: BounceMatch | None = None) -> BounceOutcome:
    """A failure tied to a delivery of ours (crm.bounces.matching): suppresses or scores the address. A report
    tied by the address alone does not say which delivery bounced: that delivery keeps its status."""
    digest = email_hash(email)
    already = is_suppressed(email)
    db.session.add(Bounce(email_hash=digest, permanent=permanent, delivery_id=delivery_id, source=source,
                          detail=detail[:300], report_key=report_key, applied=True,
                          matched_by=matched_by.value if matched_by else None))
    if delivery_id is not None and permanent and matched_by is not BounceMatch.ADDRESS:
        # Only a delivery the relay had accepted becomes "bounced"; one refused at send time stays "failed".
        db.session.execute(sa.update(Delivery).where(Delivery.id == delivery_id,
                                                     Delivery.status == DeliveryStatus.SENT.value)
                           .values(status=DeliveryStatus.BOUNCED.value)
                           .execution_options(synchronize_session=False))
    db.session.flush()
    if already:
        return BounceOutcome.ALREADY
    if permanent:
        suppress(email, SuppressionReason.HARD_BOUNCE, detail or "rejet définitif")
        return BounceOutcome.SUPPRESSED
    threshold = current_app.config["SOFT_BOUNCE_THRESHOLD"]
    if threshold > 0 and soft_bounce_count(digest) >= threshold:
        suppress(email, SuppressionReason.HARD_BOUNCE, f"{threshold} rejets temporaires ou plus")
        return BounceOutcome.SUPPRESSED
    return BounceOutcome.SCORED


def record_unmatched(email: str, *, permanent: bool, detail: str = "", report_key: str | None = None) -> BounceOutcome:
    """A report tied to no delivery of ours: kept to be counted, applied to nothing. Flushes."""
    db.session.add(Bounce(email_hash=email_hash(email), permanent=permanent, delivery_id=None, source="dsn",
                          detail=detail[:300], report_key=report_key, applied=False, matched_by=None))
    db.session.flush()
    return BounceOutcome.UNMATCHED


def record_refusal(email: str, *, delivery_id: int, detail: str) -> BounceOutcome:
    """The relay refused an address for good at send time (the pipeline's ``mail.address_failed`` hook)."""
    return record_bounce(email, permanent=True, delivery_id=delivery_id, source="smtp", detail=detail,
                         matched_by=BounceMatch.SMTP)


MATCH_LABELS = {
    BounceMatch.VERP: _l("adresse de retour de l'envoi (VERP)"),
    BounceMatch.MESSAGE_ID: _l("Message-ID de l'envoi cité"),
    BounceMatch.ADDRESS: _l("adresse écrite récemment"),
    BounceMatch.SMTP: _l("refus du relais à l'envoi"),
}


@dataclass
class BounceFigures:
    days: int
    permanent: int  # applied, within the last ``days``
    temporary: int
    unmatched: int  # not applied, within the last ``days``
    unmatched_total: int


def bounce_figures(days: int = 30) -> BounceFigures:
    since = utcnow() - timedelta(days=days)

    def count(*conditions: sa.ColumnElement[bool]) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(Bounce).where(*conditions)) or 0

    recent = Bounce.created_at >= since
    return BounceFigures(
        days=days,
        permanent=count(Bounce.applied.is_(True), Bounce.permanent.is_(True), recent),
        temporary=count(Bounce.applied.is_(True), Bounce.permanent.is_(False), recent),
        unmatched=count(Bounce.applied.is_(False), recent),
        unmatched_total=count(Bounce.applied.is_(False)),
    )


def latest_bounces(*, applied: bool, limit: int = 50) -> list[Bounce]:
    return list(db.session.scalars(sa.select(Bounce).where(Bounce.applied.is_(applied))
                                   .order_by(Bounce.created_at.desc(), Bounce.id.desc()).limit(limit)))


def match_label(bounce: Bounce) -> str:
    return str(MATCH_LABELS[BounceMatch(bounce.matched_by)]) if bounce.matched_by else "—"
