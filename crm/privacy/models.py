"""What privacy work leaves behind: who erased whom and when, and the retention review queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l


class Erasure(db.Model):
    """One erasure: the contact row stays (anonymised, counts kept); this says who did it and when."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(20))  # "request" (the person asked) or "retention"
    erased_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewStatus(StrEnum):
    PENDING = "pending"  # listed for review; purged after the grace period unless someone keeps it
    KEPT = "kept"
    PURGED = "purged"


REVIEW_LABELS = {ReviewStatus.PENDING: _l("À examiner"), ReviewStatus.KEPT: _l("Conservé"),
                 ReviewStatus.PURGED: _l("Effacé")}


class RetentionReview(db.Model):
    """A prospect with no contact initiated by them for the retention period."""

    __tablename__ = "retention_reviews"
    __table_args__ = (sa.Index("ix_retention_reviews_status_purge_after", "status", "purge_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), unique=True)
    last_initiative_at: Mapped[datetime]
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    purge_after: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(10), default=ReviewStatus.PENDING.value)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
