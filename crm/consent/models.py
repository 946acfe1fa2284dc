from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.forms import shown_label

if TYPE_CHECKING:
    from crm.partners.models import Contact


class OptInStatus(StrEnum):
    """A person's double opt-in state for mail that needs consent (the newsletter)."""

    NONE = "none"  # never asked (e.g. entered by the team or imported without consent)
    PENDING = "pending"  # signed up, confirmation mail sent, not yet confirmed
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class ConsentAction(StrEnum):
    SUBSCRIBE = "subscribe"
    CONFIRM = "confirm"
    PREFERENCES = "preferences"
    UNSUBSCRIBE = "unsubscribe"
    IMPORT = "import"
    ERASE = "erase"
    EXPIRE = "expire"  # a signup left unconfirmed, purged after the delay


class SuppressionReason(StrEnum):
    UNSUBSCRIBE = "unsubscribe"
    HARD_BOUNCE = "hard_bounce"
    COMPLAINT = "complaint"
    ERASURE = "erasure"
    MANUAL = "manual"


SUPPRESSION_LABELS = {
    SuppressionReason.UNSUBSCRIBE: _l("Désinscription"),
    SuppressionReason.HARD_BOUNCE: _l("Adresse invalide (rejet définitif)"),
    SuppressionReason.COMPLAINT: _l("Signalement comme indésirable"),
    SuppressionReason.ERASURE: _l("Effacement (RGPD)"),
    SuppressionReason.MANUAL: _l("Ajout manuel"),
}


contact_topics = sa.Table(
    "contact_topics",
    db.metadata,
    sa.Column("contact_id", sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Topic(db.Model):
    """A mailing list people subscribe to: the newsletter, event invitations, Club news."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    label: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    position: Mapped[int] = mapped_column(default=0)

    @property
    def shown(self) -> str:
        """The label in the reader's language (reference topics are in the catalogue)."""
        return shown_label(self.label)

    def __str__(self) -> str:
        return self.shown


class Subscription(db.Model):
    """One row per contact: the double opt-in state kept in step with the ledger."""

    __tablename__ = "subscriptions"
    __table_args__ = (sa.Index("ix_subscriptions_status", "status"),)

    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(15), default=OptInStatus.NONE.value)
    requested_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contact: Mapped[Contact] = relationship()


class ConsentRecord(db.Model):
    """Append-only: never updated, deleted only by erasure."""

    __tablename__ = "consent_records"
    __table_args__ = (sa.Index("ix_consent_records_contact_id_at", "contact_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))  # what it is about: "newsletter", a topic code, "signup"
    action: Mapped[str] = mapped_column(sa.String(20))
    source: Mapped[str] = mapped_column(sa.String(40))  # "form", "email_link", "one_click", "admin", "import"
    wording_version: Mapped[str] = mapped_column(sa.String(40), default="")
    wording: Mapped[str] = mapped_column(sa.Text, default="")
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    detail: Mapped[str] = mapped_column(sa.String(300), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Suppression(db.Model):
    """Addresses no campaign may reach, kept as a SHA-256 of the normalised address so erasure can keep it."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    reason: Mapped[str] = mapped_column(sa.String(20))
    detail: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
