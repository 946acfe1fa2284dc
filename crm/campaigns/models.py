from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import TimestampMixin
from crm.extensions import db
from crm.forms import lazy_gettext as _l

if TYPE_CHECKING:
    from crm.consent.models import Topic
    from crm.segments.models import Segment


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"


CAMPAIGN_STATUS_LABELS = {
    CampaignStatus.DRAFT: _l("Brouillon"),
    CampaignStatus.SCHEDULED: _l("Programmée"),
    CampaignStatus.SENDING: _l("Envoi en cours"),
    CampaignStatus.PAUSED: _l("En pause"),
    CampaignStatus.SENT: _l("Envoyée"),
    CampaignStatus.CANCELLED: _l("Annulée"),
}
EDITABLE = (CampaignStatus.DRAFT.value, CampaignStatus.SCHEDULED.value)
NOT_YET_SENT = (CampaignStatus.DRAFT.value, CampaignStatus.SCHEDULED.value, CampaignStatus.SENDING.value,
                CampaignStatus.PAUSED.value)


class Campaign(TimestampMixin, db.Model):
    """One issue of the newsletter. Audience: confirmed subscribers of ``topic`` (within ``segment`` if set)."""

    __tablename__ = "campaigns"
    __table_args__ = (sa.Index("ix_campaigns_status_scheduled_at", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    preheader: Mapped[str] = mapped_column(sa.String(200), default="")
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topics.id"))
    segment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("segments.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(12), default=CampaignStatus.DRAFT.value)
    public: Mapped[bool] = mapped_column(default=True)  # listed in the public archive once sent
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    topic: Mapped[Topic] = relationship()
    segment: Mapped[Segment | None] = relationship()

    @property
    def status_label(self) -> str:
        return CAMPAIGN_STATUS_LABELS[CampaignStatus(self.status)]

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    def __str__(self) -> str:
        return self.subject


class LetterTemplate(TimestampMixin, db.Model):
    """A letter kept to start others from: its subject, preheader and body (no audience, no date)."""

    __tablename__ = "letter_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str] = mapped_column(sa.String(200))
    preheader: Mapped[str] = mapped_column(sa.String(200), default="")
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    def __str__(self) -> str:
        return self.name


class CampaignLink(db.Model):
    """A link of a letter, and how many times it was followed. Counts only: nothing here says who clicked (no
    person, no address, no time of a click), by design (DESIGN.md §8)."""

    __tablename__ = "campaign_links"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(sa.String(2000))
    position: Mapped[int] = mapped_column(default=0)  # order of first appearance in the letter
    clicks: Mapped[int] = mapped_column(default=0)
