"""One row per mail sent to a person, whatever its kind: what makes resume, retry and "exactly once" possible."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l

if TYPE_CHECKING:
    from crm.partners.models import Contact


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # waiting (also after a 4xx, until next_attempt_at)
    SENDING = "sending"  # claimed by a sender under a lease
    SENT = "sent"
    FAILED = "failed"  # 5xx, or too many temporary failures
    BOUNCED = "bounced"  # accepted by the relay, then a bounce came back
    SKIPPED = "skipped"  # suppressed, erased, or nothing to render
    CANCELLED = "cancelled"


DELIVERY_STATUS_LABELS = {
    DeliveryStatus.QUEUED: _l("En attente"),
    DeliveryStatus.SENDING: _l("En cours"),
    DeliveryStatus.SENT: _l("Envoyé"),
    DeliveryStatus.FAILED: _l("Échec"),
    DeliveryStatus.BOUNCED: _l("Rejeté (bounce)"),
    DeliveryStatus.SKIPPED: _l("Non envoyé (adresse exclue)"),
    DeliveryStatus.CANCELLED: _l("Annulé"),
}
FINAL_STATUSES = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.BOUNCED,
                            DeliveryStatus.SKIPPED, DeliveryStatus.CANCELLED})


class Delivery(db.Model):
    """A mail to one person. ``dedupe_key`` is unique: queueing the same mail twice inserts nothing."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # The claim: queued rows that are due, oldest first.
        sa.Index("ix_deliveries_status_next_attempt_at_id", "status", "next_attempt_at", "id"),
        # Progress and counts of one campaign.
        sa.Index("ix_deliveries_campaign_id_status", "campaign_id", "status"),
        sa.Index("ix_deliveries_kind_source_id", "kind", "source_id"),
        sa.Index("ix_deliveries_claim_token", "claim_token"),
        sa.Index("ix_deliveries_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    source_id: Mapped[int | None]
    dedupe_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    status: Mapped[str] = mapped_column(sa.String(12), default=DeliveryStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    message_id: Mapped[str | None] = mapped_column(sa.String(250), index=True)
    claimed_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact | None] = relationship()

    @property
    def status_label(self) -> str:
        return DELIVERY_STATUS_LABELS[DeliveryStatus(self.status)]
