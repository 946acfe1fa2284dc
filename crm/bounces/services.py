"""Recording bounces and deciding when an address is suppressed. Functions flush; callers commit."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app

from crm.bounces.models import Bounce
from crm.consent.models import SuppressionReason
from crm.forms import email_hash
from crm.consent.services import is_suppressed, suppress
from crm.db import utcnow
from crm.extensions import db
from crm.mail.models import Delivery, DeliveryStatus


class BounceOutcome(StrEnum):
    SUPPRESSED = "suppressed"  # permanent, or the temporary failure that crossed the threshold
    SCORED = "scored"  # temporary, counted
    ALREADY = "already"  # the address was already suppressed


def soft_bounce_count(digest: str) -> int:
    since = utcnow() - timedelta(days=current_app.config["SOFT_BOUNCE_WINDOW_DAYS"])
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Bounce)
        .where(Bounce.email_hash == digest, Bounce.permanent.is_(False), Bounce.created_at >= since)
    ) or 0


def record_bounce(email: str, *, permanent: bool, delivery_id: int | None = None, source: str = "dsn",
                  detail: str = "", report_key: str | None = None) -> BounceOutcome:
    digest = email_hash(email)
    already = is_suppressed(email)
    db.session.add(Bounce(email_hash=digest, permanent=permanent, delivery_id=delivery_id, source=source,
                          detail=detail[:300], report_key=report_key))
    if delivery_id is not None and permanent:
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


def record_refusal(email: str, *, delivery_id: int, detail: str) -> BounceOutcome:
    """The relay refused an address for good at send time (the pipeline's ``mail.address_failed`` hook)."""
    return record_bounce(email, permanent=True, delivery_id=delivery_id, source="smtp", detail=detail)
