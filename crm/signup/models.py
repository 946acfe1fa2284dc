"""What people asked for through the public form, and the communication kit they may receive."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.forms import untranslated

if TYPE_CHECKING:
    from crm.auth.models import User
    from crm.partners.models import Contact, Note, Organisation


class RequestKind(StrEnum):
    JOIN = "join"
    NEWSLETTER = "newsletter"
    PROJECT = "project"
    AMBASSADOR = "ambassador"
    KIT = "kit"


REQUEST_LABELS = {
    RequestKind.JOIN: _l("Rejoindre la démarche Territoires d'industrie"),
    RequestKind.NEWSLETTER: _l("Recevoir la lettre d'information"),
    RequestKind.PROJECT: _l("Échanger sur un projet"),
    RequestKind.AMBASSADOR: _l("Devenir ambassadeur"),
    RequestKind.KIT: _l("Recevoir le kit de communication"),
}


def french_labels(kinds: Iterable[str]) -> list[str]:
    """The requests' labels in French, whoever filled the form: for the mails (written in French) and the audit."""
    return [untranslated(REQUEST_LABELS[RequestKind(kind)]) for kind in kinds]


class RequestStatus(StrEnum):
    WAITING = "waiting"  # the address is not confirmed yet
    OPEN = "open"  # confirmed, the team has to act
    DONE = "done"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ERASED = "erased"  # the person's data was erased: nothing left to act on


REQUEST_STATUS_LABELS = {
    RequestStatus.WAITING: _l("En attente de confirmation de l'adresse"),
    RequestStatus.OPEN: _l("À traiter"),
    RequestStatus.DONE: _l("Traitée"),
    RequestStatus.ACCEPTED: _l("Acceptée"),
    RequestStatus.DECLINED: _l("Refusée"),
    RequestStatus.ERASED: _l("Close : personne effacée"),
}


class Signup(db.Model):
    """One submission of the public form; its requests take effect once the address is confirmed."""

    __tablename__ = "signups"
    __table_args__ = (
        sa.Index("ix_signups_created_at", "created_at"),
        sa.Index("ix_signups_confirmed_at_created_at", "confirmed_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    message: Mapped[str] = mapped_column(sa.Text, default="")
    wording_version: Mapped[str] = mapped_column(sa.String(40))
    created_contact: Mapped[bool] = mapped_column(default=False)  # the contact did not exist before
    created_organisation: Mapped[bool] = mapped_column(default=False)
    previous_status: Mapped[str] = mapped_column(sa.String(15), default="none")
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]

    contact: Mapped[Contact] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    requests: Mapped[list[SignupRequest]] = relationship(
        back_populates="signup", cascade="all, delete-orphan", order_by="SignupRequest.id", lazy="selectin"
    )
    changes: Mapped[list[SignupChange]] = relationship(
        back_populates="signup", cascade="all, delete-orphan", order_by="SignupChange.id", lazy="selectin"
    )


class SignupRequest(db.Model):
    __tablename__ = "signup_requests"
    __table_args__ = (
        sa.Index("ix_signup_requests_status_kind", "status", "kind"),
        sa.UniqueConstraint("signup_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    signup_id: Mapped[int] = mapped_column(sa.ForeignKey("signups.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(12), default=RequestStatus.WAITING.value)
    note_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notes.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None]

    signup: Mapped[Signup] = relationship(back_populates="requests")
    note: Mapped[Note | None] = relationship(lazy="joined")
    decided_by: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return REQUEST_LABELS[RequestKind(self.kind)]

    @property
    def effective_status(self) -> str:
        """A project request follows its task: done once the task is marked done anywhere. An ambassador
        request follows the contact's status: decided once the contact is no longer a candidate (the same rule
        as the inbox's query, crm.signup.inbox.open_request)."""
        if self.kind == RequestKind.PROJECT and self.note is not None and self.note.done_at is not None:
            return RequestStatus.DONE.value
        if (self.kind == RequestKind.AMBASSADOR and self.status == RequestStatus.OPEN.value
                and self.signup.contact.ambassador_status != "candidate"):
            return (RequestStatus.ACCEPTED if self.signup.contact.ambassador_status == "active"
                    else RequestStatus.DONE).value
        return self.status

    @property
    def status_label(self) -> str:
        return REQUEST_STATUS_LABELS[RequestStatus(self.effective_status)]


class ChangeStatus(StrEnum):
    OPEN = "open"  # waits for an editor (once the address is confirmed)
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


CHANGE_STATUS_LABELS = {
    ChangeStatus.OPEN: _l("À examiner"),
    ChangeStatus.ACCEPTED: _l("Appliquée"),
    ChangeStatus.DISMISSED: _l("Écartée"),
}


class SignupChange(db.Model):
    """A value the public form gave for a record the team already holds: a proposal, never a write. An editor
    applies it or not (crm.signup.proposals); until then the contact and its organisation stay as they were."""

    __tablename__ = "signup_changes"
    __table_args__ = (sa.UniqueConstraint("signup_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    signup_id: Mapped[int] = mapped_column(sa.ForeignKey("signups.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    # The known organisation the change is about: the one whose own field it changes, or the one the contact
    # would move to.
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    field: Mapped[str] = mapped_column(sa.String(30))
    # The proposed value as JSON, in a Text column: an erasure replaces it like any free text about the person.
    value: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12), default=ChangeStatus.OPEN.value)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    signup: Mapped[Signup] = relationship(back_populates="changes")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    decided_by: Mapped[User | None] = relationship()

    @classmethod
    def of(cls, contact_id: int, field: str, value: Any, organisation_id: int | None = None) -> SignupChange:
        return cls(contact_id=contact_id, field=field, value=json.dumps(value, ensure_ascii=False),
                   organisation_id=organisation_id, status=ChangeStatus.OPEN.value)

    @property
    def proposed(self) -> Any:
        """The value as proposed; None where it cannot be read any more (replaced by an erasure)."""
        try:
            return json.loads(self.value)
        except ValueError:
            return None

    @property
    def status_label(self) -> str:
        return CHANGE_STATUS_LABELS[ChangeStatus(self.status)]


class CommunicationKit(db.Model):
    """An uploaded kit file (stored under the instance folder); the newest one is sent."""

    __tablename__ = "communication_kits"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
