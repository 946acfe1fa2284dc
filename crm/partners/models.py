"""Partner organisations, their people, the programme's taxonomy, the Club and the timeline."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.forms import email_hash
from crm.db import TimestampMixin, search_key_type, utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.forms import shown_label

if TYPE_CHECKING:
    from crm.auth.models import User


LANGUAGE_NAMES = {"fr": "Français", "en": "English"}  # each language by its own name, as in the contact form


def language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "")


class AmbassadorStatus(StrEnum):
    NONE = "none"
    CANDIDATE = "candidate"
    ACTIVE = "active"
    FORMER = "former"


AMBASSADOR_LABELS = {
    AmbassadorStatus.NONE: _l("Non"),
    AmbassadorStatus.CANDIDATE: _l("Candidat"),
    AmbassadorStatus.ACTIVE: _l("Ambassadeur actif"),
    AmbassadorStatus.FORMER: _l("Ancien ambassadeur"),
}

HEADCOUNT_BANDS = ["0", "1-9", "10-49", "50-249", "250-999", "1000+"]
CIVILITIES = {"": "", "mme": "Mme", "m": "M."}


def new_link_secret() -> str:
    return secrets.token_urlsafe(12)


organisation_sectors = sa.Table(
    "organisation_sectors",
    db.metadata,
    sa.Column("organisation_id", sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("sector_id", sa.ForeignKey("sectors.id", ondelete="CASCADE"), primary_key=True, index=True),
)
# Search words (crm.partners.words): every word of an organisation's name and commune keys, and the later words
# of a contact's compound names, so that "perche" finds "Usinage du Perche" and "dupont" finds "Martin-Dupont"
# through an index range. Derived from the record's own columns: merge, export and erasure leave these tables to
# crm.partners.words (the partners' declaration marks them derived, so privacy leaves them out).
organisation_words = sa.Table(
    "organisation_words",
    db.metadata,
    sa.Column("word", search_key_type(120), primary_key=True),
    sa.Column("organisation_id", sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True,
              index=True),
)
contact_words = sa.Table(
    "contact_words",
    db.metadata,
    sa.Column("word", search_key_type(100), primary_key=True),
    sa.Column("contact_id", sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True),
)
contact_sectors = sa.Table(
    "contact_sectors",
    db.metadata,
    sa.Column("contact_id", sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("sector_id", sa.ForeignKey("sectors.id", ondelete="CASCADE"), primary_key=True, index=True),
)
contact_axes = sa.Table(
    "contact_axes",
    db.metadata,
    sa.Column("contact_id", sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("axis_id", sa.ForeignKey("axes.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class TaxonomyMixin:
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    label: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)

    @property
    def shown(self) -> str:
        """The label in the reader's language (reference entries are in the catalogue; the team's own are not)."""
        return shown_label(self.label)

    def __str__(self) -> str:
        return self.shown


class OrganisationKind(TaxonomyMixin, db.Model):
    __tablename__ = "organisation_kinds"


class Sector(TaxonomyMixin, db.Model):
    __tablename__ = "sectors"


class Axis(TaxonomyMixin, db.Model):
    __tablename__ = "axes"


class Organisation(TimestampMixin, db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(search_key_type(200), index=True)
    kind_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation_kinds.id"), index=True)
    naf_code: Mapped[str | None] = mapped_column(sa.String(6))
    siret: Mapped[str | None] = mapped_column(sa.String(14), unique=True)
    headcount_band: Mapped[str | None] = mapped_column(sa.String(10))
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    postal_code: Mapped[str | None] = mapped_column(sa.String(5))
    commune: Mapped[str] = mapped_column(sa.String(120), default="")
    commune_key: Mapped[str] = mapped_column(search_key_type(120), default="", index=True)
    department: Mapped[str | None] = mapped_column(sa.String(3), index=True)
    region: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    website: Mapped[str] = mapped_column(sa.String(300), default="")

    kind: Mapped[OrganisationKind | None] = relationship(lazy="joined")
    sectors: Mapped[list[Sector]] = relationship(secondary=organisation_sectors, order_by="Sector.position")
    contacts: Mapped[list[Contact]] = relationship(back_populates="organisation", order_by="Contact.last_name_key")
    club_memberships: Mapped[list[ClubMembership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="ClubMembership.joined_on.desc()"
    )

    @property
    def current_membership(self) -> ClubMembership | None:
        today = date.today()
        for membership in self.club_memberships:
            if membership.is_current(today):
                return membership
        return None

    def __str__(self) -> str:
        return self.name


class ShownAsPerson:
    """How a contact is named and its ambassador status shown, from its ``first_name``, ``last_name``, ``email``
    and ``ambassador_status``: the same on the record (``Contact``) and on the list's plain rows."""

    first_name: str
    last_name: str
    email: str | None
    ambassador_status: str

    @property
    def full_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or (self.email or "(sans nom)")

    @property
    def ambassador_label(self) -> str:
        return AMBASSADOR_LABELS[AmbassadorStatus(self.ambassador_status)]


class Contact(ShownAsPerson, TimestampMixin, db.Model):
    __tablename__ = "contacts"
    # The search's ways in (last name, first name, e-mail, organisation) each carry the name keys, the id and the
    # organisation: a search's matches, their sort keys and what the list's filters look up come from the index
    # alone, without reading each contact's row (see crm.partners.queries.contact_list_keys).
    __table_args__ = (
        sa.Index("ix_contacts_name_keys", "last_name_key", "first_name_key", "id", "organisation_id"),
        sa.Index("ix_contacts_first_name_key", "first_name_key", "last_name_key", "id", "organisation_id"),
        sa.Index("ix_contacts_email_keys", "email", "last_name_key", "first_name_key", "id", "organisation_id"),
        sa.Index("ix_contacts_organisation_id", "organisation_id", "last_name_key", "first_name_key", "id"),
        sa.Index("ix_contacts_ambassador_status_last_name_key", "ambassador_status", "last_name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    civility: Mapped[str] = mapped_column(sa.String(5), default="")
    first_name: Mapped[str] = mapped_column(sa.String(100), default="")
    last_name: Mapped[str] = mapped_column(sa.String(100), default="")
    first_name_key: Mapped[str] = mapped_column(search_key_type(100), default="")
    last_name_key: Mapped[str] = mapped_column(search_key_type(100), default="")
    # Nullable only so that erasure can empty it; forms always require it.
    email: Mapped[str | None] = mapped_column(search_key_type(254), unique=True)
    # SHA-256 of the email, kept in step by the listener below, so that audiences anti-join the suppression list
    # (which only holds hashes) in plain SQL on every backend.
    email_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    job_title: Mapped[str] = mapped_column(sa.String(120), default="")
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="SET NULL"))
    ambassador_status: Mapped[str] = mapped_column(sa.String(12), default=AmbassadorStatus.NONE.value)
    ambassador_since: Mapped[date | None]
    kit_sent_on: Mapped[date | None]
    language: Mapped[str] = mapped_column(sa.String(2), default="fr")
    # The links in mail name the person by id AND this secret, so a link made for someone can act on no one
    # else (an id taken over, an erased person's old links: erasure draws a new secret).
    link_secret: Mapped[str] = mapped_column(sa.String(32), default=new_link_secret)

    organisation: Mapped[Organisation | None] = relationship(back_populates="contacts", lazy="joined")
    sectors: Mapped[list[Sector]] = relationship(secondary=contact_sectors, order_by="Sector.position")
    axes: Mapped[list[Axis]] = relationship(secondary=contact_axes, order_by="Axis.position")
    other_emails: Mapped[list[ContactEmail]] = relationship(order_by="ContactEmail.id", viewonly=True)

    def __str__(self) -> str:
        return self.full_name


@sa.event.listens_for(Contact.email, "set")
def _keep_email_hash(target: Contact, value: str | None, oldvalue: object, initiator: object) -> None:
    target.email_hash = email_hash(value) if value else None


class ContactEmail(db.Model):
    """Another address of the same person, kept when two records of them are merged: found by the contacts
    search, by imports and by bounces; mail still goes to ``Contact.email`` only."""

    __tablename__ = "contact_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    # Nullable only so that erasure can empty it.
    email: Mapped[str | None] = mapped_column(search_key_type(254), unique=True)
    source: Mapped[str] = mapped_column(sa.String(20), default="merge")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClubMembership(db.Model):
    __tablename__ = "club_memberships"
    __table_args__ = (
        sa.Index("ix_club_memberships_organisation_id_left_on", "organisation_id", "left_on"),
        sa.CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    joined_on: Mapped[date]
    left_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="club_memberships")

    def is_current(self, today: date) -> bool:
        return self.joined_on <= today and (self.left_on is None or self.left_on > today)


class NoteKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    REMARK = "remark"
    TASK = "task"


NOTE_KIND_LABELS = {
    NoteKind.CALL: _l("Appel"),
    NoteKind.MEETING: _l("Rendez-vous"),
    NoteKind.REMARK: _l("Remarque"),
    NoteKind.TASK: _l("Tâche"),
}


class Note(db.Model):
    """A timeline entry on a contact or an organisation; a task stays open until done."""

    __tablename__ = "notes"
    __table_args__ = (
        sa.CheckConstraint("contact_id IS NOT NULL OR organisation_id IS NOT NULL", name="has_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12), default=NoteKind.REMARK.value)
    body: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    @property
    def kind_label(self) -> str:
        return NOTE_KIND_LABELS[NoteKind(self.kind)]

    @property
    def is_open_task(self) -> bool:
        return self.kind == NoteKind.TASK and self.done_at is None
