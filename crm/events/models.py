"""Events, who was invited, what they answered, who came, and when the reminders go out."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import TimestampMixin, utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.partners.models import Contact


class EventKind(StrEnum):
    TECHNICAL_COMMITTEE = "comite_technique"
    LAUNCH = "lancement"
    CLUB_MEETING = "reunion_club"
    WORKSHOP = "atelier"
    COMPANY_VISIT = "visite"


EVENT_KIND_LABELS = {
    EventKind.TECHNICAL_COMMITTEE: _l("Comité technique semestriel"),
    EventKind.LAUNCH: _l("Lancement"),
    EventKind.CLUB_MEETING: _l("Réunion du Club des Industriels"),
    EventKind.WORKSHOP: _l("Atelier"),
    EventKind.COMPANY_VISIT: _l("Visite d'entreprise"),
}

# Reminder rules copied onto each new event, per kind: (amount, unit) before the start.
DEFAULT_REMINDERS: dict[EventKind, list[tuple[int, str]]] = {
    kind: [(7, "days"), (1, "days")] for kind in EventKind
}


class EventStatus(StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"


EVENT_STATUS_LABELS = {EventStatus.PLANNED: _l("Programmé"), EventStatus.CANCELLED: _l("Annulé")}


class InvitationStatus(StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


INVITATION_STATUS_LABELS = {
    InvitationStatus.INVITED: _l("Sans réponse"),
    InvitationStatus.ACCEPTED: _l("Oui"),
    InvitationStatus.WAITLISTED: _l("Liste d'attente"),
    InvitationStatus.DECLINED: _l("Non"),
    InvitationStatus.ATTENDED: _l("Présent"),
    InvitationStatus.NO_SHOW: _l("Absent"),
    InvitationStatus.CANCELLED: _l("Invitation retirée"),
}
# Statuses that hold a seat: the capacity counts them.
SEAT_STATUSES = (InvitationStatus.ACCEPTED.value, InvitationStatus.ATTENDED.value)


class Event(TimestampMixin, db.Model):
    __tablename__ = "events"
    __table_args__ = (
        sa.Index("ix_events_starts_at", "starts_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(120), unique=True)  # the calendar UID, never changes
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    capacity: Mapped[int | None]
    answer_deadline: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(12), default=EventStatus.PLANNED.value)
    is_public: Mapped[bool] = mapped_column(default=False)
    sequence: Mapped[int] = mapped_column(default=0)  # the calendar SEQUENCE, raised on every change

    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )
    reminder_rules: Mapped[list[ReminderRule]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ReminderRule.minutes_before.desc()",
    )

    @property
    def kind_label(self) -> str:
        return EVENT_KIND_LABELS.get(EventKind(self.kind), self.kind)

    @property
    def status_label(self) -> str:
        return EVENT_STATUS_LABELS[EventStatus(self.status)]

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    def answers_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        if self.is_cancelled or now >= self.starts_at:
            return False
        return self.answer_deadline is None or now <= self.answer_deadline

    def __str__(self) -> str:
        return self.title


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "contact_id"),
        sa.Index("ix_invitations_event_id_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(12), default=InvitationStatus.INVITED.value)
    # A random nonce carried inside the signed RSVP token: replacing it voids every link already sent.
    token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    answer_count: Mapped[int] = mapped_column(default=0)
    answered_at: Mapped[datetime | None]
    mail_queued_at: Mapped[datetime | None]  # the invitation mail was handed to the scheduler
    sent_at: Mapped[datetime | None]  # ... and left (set when it is rendered for sending)
    attendance_marked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="invitations")
    contact: Mapped[Contact] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        return INVITATION_STATUS_LABELS[InvitationStatus(self.status)]


class ReminderRule(db.Model):
    """A reminder sent ``minutes_before`` the start to everyone who said yes."""

    __tablename__ = "event_reminder_rules"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "minutes_before"),
        sa.CheckConstraint("minutes_before > 0", name="before_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    minutes_before: Mapped[int]

    event: Mapped[Event] = relationship(back_populates="reminder_rules")

    @property
    def offset(self) -> timedelta:
        return timedelta(minutes=self.minutes_before)

    @property
    def label(self) -> str:
        return describe_offset(self.minutes_before)


def describe_offset(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} jour{'s' if days > 1 else ''} avant"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} heure{'s' if hours > 1 else ''} avant"
    return f"{minutes} minutes avant"
