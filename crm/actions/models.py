"""The programme's action plan: actions (fiches-actions), their partners, milestones, funding lines and
indicators; proposals and their supporters; committee sessions and the frozen versions of the plan.

Tables that point at a person are narrow on purpose (``action_pilots``, ``action_proposals``,
``proposal_supports``): an erasure scrubs the free text of rows pointing at the person, and an action's
description is not the pilot's to lose.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import TimestampMixin, utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.events.models import Event
from crm.partners.models import Axis, Contact, Organisation

if TYPE_CHECKING:
    from crm.auth.models import User

MONEY = sa.Numeric(14, 2)
QUANTITY = sa.Numeric(14, 2)


class ActionStatus(StrEnum):
    PROPOSED = "proposee"
    STUDY = "etude"
    VALIDATED = "validee"
    IN_PROGRESS = "en_cours"
    DONE = "realisee"
    SUSPENDED = "suspendue"
    ABANDONED = "abandonnee"


ACTION_STATUS_LABELS = {
    ActionStatus.PROPOSED: _l("Proposée"),
    ActionStatus.STUDY: _l("À l'étude"),
    ActionStatus.VALIDATED: _l("Validée"),
    ActionStatus.IN_PROGRESS: _l("En cours"),
    ActionStatus.DONE: _l("Réalisée"),
    ActionStatus.SUSPENDED: _l("Suspendue"),
    ActionStatus.ABANDONED: _l("Abandonnée"),
}
# The chain an action moves forward along; "suspendue" pauses it, "réalisée" and "abandonnée" end it.
CHAIN = [ActionStatus.PROPOSED, ActionStatus.STUDY, ActionStatus.VALIDATED, ActionStatus.IN_PROGRESS,
         ActionStatus.DONE]
FINAL = {ActionStatus.DONE, ActionStatus.ABANDONED}


def allowed_next(status: ActionStatus) -> set[ActionStatus]:
    if status in FINAL:
        return set()
    if status == ActionStatus.SUSPENDED:
        return {ActionStatus.STUDY, ActionStatus.VALIDATED, ActionStatus.IN_PROGRESS, ActionStatus.ABANDONED}
    later = set(CHAIN[CHAIN.index(status) + 1:])
    return later | {ActionStatus.SUSPENDED, ActionStatus.ABANDONED}


class Origin(StrEnum):
    CLUB = "club"
    PARTNER = "partenaire"
    COMMITTEE = "comite"
    TEAM = "equipe"


ORIGIN_LABELS = {
    Origin.CLUB: _l("Club des Industriels"),
    Origin.PARTNER: _l("Un partenaire"),
    Origin.COMMITTEE: _l("Le comité technique"),
    Origin.TEAM: _l("L'équipe projet"),
}


class PartnerRole(StrEnum):
    CO_PILOT = "copilote"
    FUNDER = "financeur"
    CONTRIBUTOR = "contributeur"
    BENEFICIARY = "beneficiaire"


PARTNER_ROLE_LABELS = {
    PartnerRole.CO_PILOT: _l("Co-pilote"),
    PartnerRole.FUNDER: _l("Financeur"),
    PartnerRole.CONTRIBUTOR: _l("Contributeur"),
    PartnerRole.BENEFICIARY: _l("Bénéficiaire"),
}


class FundingStatus(StrEnum):
    CONSIDERED = "envisage"
    REQUESTED = "demande"
    GRANTED = "accorde"
    PAID = "verse"
    REFUSED = "refuse"


FUNDING_STATUS_LABELS = {
    FundingStatus.CONSIDERED: _l("Envisagé"),
    FundingStatus.REQUESTED: _l("Demandé"),
    FundingStatus.GRANTED: _l("Accordé"),
    FundingStatus.PAID: _l("Versé"),
    FundingStatus.REFUSED: _l("Refusé"),
}
GRANTED_STATUSES = (FundingStatus.GRANTED.value, FundingStatus.PAID.value)


class ProposalStatus(StrEnum):
    OPEN = "ouverte"
    RETAINED = "retenue"
    MERGED = "fusionnee"
    DECLINED = "declinee"


PROPOSAL_STATUS_LABELS = {
    ProposalStatus.OPEN: _l("En attente de réponse"),
    ProposalStatus.RETAINED: _l("Retenue"),
    ProposalStatus.MERGED: _l("Fusionnée dans une action"),
    ProposalStatus.DECLINED: _l("Non retenue"),
}


class Action(TimestampMixin, db.Model):
    __tablename__ = "actions"
    __table_args__ = (
        sa.Index("ix_actions_axis_id_code", "axis_id", "code"),
        sa.CheckConstraint("priority IS NULL OR priority BETWEEN 1 AND 5", name="priority_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    axis_id: Mapped[int] = mapped_column(sa.ForeignKey("axes.id"))
    objective: Mapped[str] = mapped_column(sa.Text, default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    origin: Mapped[str] = mapped_column(sa.String(12), default=Origin.TEAM.value)
    pilot_organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(12), default=ActionStatus.PROPOSED.value)
    status_since: Mapped[date] = mapped_column(default=date.today)
    priority: Mapped[int | None]
    planned_start: Mapped[date | None]
    planned_end: Mapped[date | None]
    actual_start: Mapped[date | None]
    actual_end: Mapped[date | None]
    is_public: Mapped[bool] = mapped_column(default=False)

    axis: Mapped[Axis] = relationship(lazy="joined")
    pilot_organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    pilot: Mapped[ActionPilot | None] = relationship(
        back_populates="action", cascade="all, delete-orphan", passive_deletes=True, uselist=False)
    partners: Mapped[list[ActionPartner]] = relationship(
        back_populates="action", cascade="all, delete-orphan", passive_deletes=True, order_by="ActionPartner.id")
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="action", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(Milestone.due_on, Milestone.id)")
    funding_lines: Mapped[list[FundingLine]] = relationship(
        back_populates="action", cascade="all, delete-orphan", passive_deletes=True, order_by="FundingLine.id")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="action", cascade="all, delete-orphan", passive_deletes=True, order_by="Indicator.id")

    @property
    def status_label(self) -> str:
        return ACTION_STATUS_LABELS[ActionStatus(self.status)]

    @property
    def origin_label(self) -> str:
        return ORIGIN_LABELS[Origin(self.origin)]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class ActionPilot(db.Model):
    """The pilot's contact person (the pilot organisation is on the action)."""

    __tablename__ = "action_pilots"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("actions.id", ondelete="CASCADE"), unique=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)

    action: Mapped[Action] = relationship(back_populates="pilot")
    contact: Mapped[Contact] = relationship(lazy="joined")


class ActionPartner(db.Model):
    __tablename__ = "action_partners"
    __table_args__ = (sa.UniqueConstraint("action_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("actions.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(14))

    action: Mapped[Action] = relationship(back_populates="partners")
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def role_label(self) -> str:
        return PARTNER_ROLE_LABELS[PartnerRole(self.role)]


class Milestone(db.Model):
    __tablename__ = "action_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date | None]
    done_on: Mapped[date | None]

    action: Mapped[Action] = relationship(back_populates="milestones")


class FundingLine(db.Model):
    """A funding line: today an action's; the firms' projects will hang theirs here too (a ``project_id``
    beside ``action_id``, one of them set), so that totals by funder and scheme stay one query."""

    __tablename__ = "funding_lines"
    __table_args__ = (
        sa.CheckConstraint("amount_requested >= 0", name="requested_not_negative"),
        sa.CheckConstraint("amount_granted IS NULL OR amount_granted >= 0", name="granted_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    funder_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    scheme: Mapped[str] = mapped_column(sa.String(200), default="")
    amount_requested: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    amount_granted: Mapped[Decimal | None] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(sa.String(10), default=FundingStatus.CONSIDERED.value)
    requested_on: Mapped[date | None]
    decided_on: Mapped[date | None]
    paid_on: Mapped[date | None]

    action: Mapped[Action | None] = relationship(back_populates="funding_lines")
    funder: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        return FUNDING_STATUS_LABELS[FundingStatus(self.status)]

    @property
    def granted(self) -> Decimal:
        """What counts as granted: the amount of a line accorded or paid."""
        return (self.amount_granted or Decimal("0")) if self.status in GRANTED_STATUSES else Decimal("0")


class Indicator(db.Model):
    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    unit: Mapped[str] = mapped_column(sa.String(40), default="")
    baseline: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal("0"))
    target: Mapped[Decimal] = mapped_column(QUANTITY)

    action: Mapped[Action] = relationship(back_populates="indicators")
    values: Mapped[list[IndicatorValue]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", passive_deletes=True,
        order_by="IndicatorValue.measured_on")


class IndicatorValue(db.Model):
    __tablename__ = "indicator_values"
    __table_args__ = (sa.UniqueConstraint("indicator_id", "measured_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicators.id", ondelete="CASCADE"))
    measured_on: Mapped[date]
    value: Mapped[Decimal] = mapped_column(QUANTITY)

    indicator: Mapped[Indicator] = relationship(back_populates="values")


class Proposal(db.Model):
    __tablename__ = "action_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    axis_id: Mapped[int] = mapped_column(sa.ForeignKey("axes.id"))
    contribution: Mapped[str] = mapped_column(sa.Text, default="")  # what the proposer would bring
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    origin: Mapped[str] = mapped_column(sa.String(12), default=Origin.CLUB.value)
    status: Mapped[str] = mapped_column(sa.String(10), default=ProposalStatus.OPEN.value, index=True)
    answer: Mapped[str] = mapped_column(sa.Text, default="")  # the reason of a refusal, mailed to the proposer
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("actions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]

    axis: Mapped[Axis] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    contact: Mapped[Contact | None] = relationship()
    action: Mapped[Action | None] = relationship()
    supports: Mapped[list[ProposalSupport]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ProposalSupport.id")

    @property
    def status_label(self) -> str:
        return PROPOSAL_STATUS_LABELS[ProposalStatus(self.status)]


class ProposalSupport(db.Model):
    """An organisation that joins a proposal (« se fédère »), through one of its people."""

    __tablename__ = "proposal_supports"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("action_proposals.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="supports")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class CommitteeSession(db.Model):
    __tablename__ = "committee_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), unique=True)
    minutes: Mapped[str] = mapped_column(sa.Text, default="")
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(lazy="joined")
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True, order_by="AgendaItem.id")
    version: Mapped[PlanVersion | None] = relationship(back_populates="session", uselist=False)


class AgendaItem(db.Model):
    """An action on a session's agenda, and what the committee decided about it."""

    __tablename__ = "committee_agenda_items"
    __table_args__ = (sa.UniqueConstraint("session_id", "action_id"),
                      sa.CheckConstraint("new_priority IS NULL OR new_priority BETWEEN 1 AND 5",
                                         name="new_priority_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("committee_sessions.id", ondelete="CASCADE"))
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    new_status: Mapped[str | None] = mapped_column(sa.String(12))
    new_priority: Mapped[int | None]
    remarks: Mapped[str] = mapped_column(sa.Text, default="")

    session: Mapped[CommitteeSession] = relationship(back_populates="items")
    action: Mapped[Action] = relationship(lazy="joined")


class PlanVersion(db.Model):
    """The plan as it stood when a committee closed: a JSON snapshot (no personal data: pilots by
    organisation), never changed afterwards."""

    __tablename__ = "plan_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    frozen_on: Mapped[date]
    frozen_at: Mapped[datetime] = mapped_column(default=utcnow)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("committee_sessions.id"), unique=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)

    session: Mapped[CommitteeSession | None] = relationship(back_populates="version")


class ActionNoteKind(StrEnum):
    REMARK = "remarque"
    MEETING = "reunion"
    CALL = "appel"
    DECISION = "decision"


ACTION_NOTE_KIND_LABELS = {
    ActionNoteKind.REMARK: _l("Remarque"),
    ActionNoteKind.MEETING: _l("Réunion"),
    ActionNoteKind.CALL: _l("Appel"),
    ActionNoteKind.DECISION: _l("Décision"),
}


class ActionNote(db.Model):
    """A free note of the team on an action: shown in the action's history beside its audited changes."""

    __tablename__ = "action_notes"
    __table_args__ = (sa.Index("ix_action_notes_action_id_occurred_at", "action_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("actions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(12), default=ActionNoteKind.REMARK.value)
    body: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return ACTION_NOTE_KIND_LABELS[ActionNoteKind(self.kind)]
