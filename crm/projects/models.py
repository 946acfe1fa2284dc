"""Firms' projects, from the first exchange to financing: the project, its contact person, its stage changes.

The contact person sits in a narrow table (``project_contacts``): an erasure scrubs the free text of rows
pointing at the person, and a project's description is the organisation's, not the person's to lose. Funding
sought and obtained are the action plan's funding lines (``funding_lines.project_id``): one model, one place for
totals by funder and scheme.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.actions.models import MONEY, Action, FundingLine
from crm.db import TimestampMixin, utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.partners.models import Axis, Contact, Organisation

if TYPE_CHECKING:
    from crm.auth.models import User


class Stage(StrEnum):
    FIRST_EXCHANGE = "premier_echange"
    QUALIFICATION = "qualification"
    SUPPORT = "accompagnement"
    FUNDING_REQUESTED = "financement_demande"
    FUNDED = "finance"
    DONE = "realise"
    PAUSED = "en_pause"
    ABANDONED = "abandonne"


STAGE_LABELS = {
    Stage.FIRST_EXCHANGE: _l("Premier échange"),
    Stage.QUALIFICATION: _l("Qualification"),
    Stage.SUPPORT: _l("Accompagnement"),
    Stage.FUNDING_REQUESTED: _l("Financement demandé"),
    Stage.FUNDED: _l("Financé"),
    Stage.DONE: _l("Réalisé"),
    Stage.PAUSED: _l("En pause"),
    Stage.ABANDONED: _l("Abandonné"),
}
# The board's columns, in order: the chain a project moves along, then the two side tracks.
STAGES = list(Stage)
# A project "in progress": neither realised nor abandoned (a project on pause still waits for the team).
CLOSED = {Stage.DONE, Stage.ABANDONED}


class ProjectKind(StrEnum):
    INVESTMENT = "investissement"
    SITE = "implantation"
    SKILLS = "recrutement"
    INNOVATION = "innovation"
    ENERGY = "energie"


PROJECT_KIND_LABELS = {
    ProjectKind.INVESTMENT: _l("Investissement productif"),
    ProjectKind.SITE: _l("Implantation / foncier"),
    ProjectKind.SKILLS: _l("Recrutement et compétences"),
    ProjectKind.INNOVATION: _l("Innovation"),
    ProjectKind.ENERGY: _l("Transition énergétique"),
}

project_actions = sa.Table(
    "project_actions", db.metadata,
    sa.Column("project_id", sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("action_id", sa.ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Project(TimestampMixin, db.Model):
    __tablename__ = "projects"
    __table_args__ = (
        sa.CheckConstraint("investment IS NULL OR investment >= 0", name="investment_not_negative"),
        sa.CheckConstraint("jobs_created IS NULL OR jobs_created >= 0", name="jobs_created_not_negative"),
        sa.CheckConstraint("jobs_kept IS NULL OR jobs_kept >= 0", name="jobs_kept_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(20), default=ProjectKind.INVESTMENT.value)
    axis_id: Mapped[int | None] = mapped_column(sa.ForeignKey("axes.id"), index=True)
    investment: Mapped[Decimal | None] = mapped_column(MONEY)
    jobs_created: Mapped[int | None]
    jobs_kept: Mapped[int | None]
    commune: Mapped[str] = mapped_column(sa.String(120), default="")
    zone: Mapped[str] = mapped_column(sa.String(200), default="")  # an industrial zone, as free text
    stage: Mapped[str] = mapped_column(sa.String(24), default=Stage.FIRST_EXCHANGE.value, index=True)
    stage_since: Mapped[datetime] = mapped_column(default=utcnow)
    closing_reason: Mapped[str] = mapped_column(sa.Text, default="")  # why it was abandoned or paused
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    signup_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("signup_requests.id", ondelete="SET NULL"), unique=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    axis: Mapped[Axis | None] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship(lazy="joined")
    person: Mapped[ProjectContact | None] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True, uselist=False, lazy="joined")
    funding_lines: Mapped[list[FundingLine]] = relationship(
        FundingLine, primaryjoin="Project.id == foreign(FundingLine.project_id)", cascade="all, delete-orphan",
        passive_deletes=True, order_by=FundingLine.id)
    actions: Mapped[list[Action]] = relationship(secondary=project_actions, order_by=Action.code)
    stage_changes: Mapped[list[StageChange]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True,
        order_by="StageChange.changed_at")

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS[Stage(self.stage)]

    @property
    def kind_label(self) -> str:
        return PROJECT_KIND_LABELS[ProjectKind(self.kind)]

    @property
    def granted(self) -> Decimal:
        return sum((line.granted for line in self.funding_lines), Decimal("0.00"))

    @property
    def requested(self) -> Decimal:
        return sum((line.amount_requested for line in self.funding_lines), Decimal("0.00"))

    def __str__(self) -> str:
        return f"{self.title} — {self.organisation.name}"


class ProjectContact(db.Model):
    """The firm's contact person for the project."""

    __tablename__ = "project_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)

    project: Mapped[Project] = relationship(back_populates="person")
    contact: Mapped[Contact] = relationship(lazy="joined")


class StageChange(db.Model):
    """When a project entered a stage, and from which: the time spent in each stage comes from here."""

    __tablename__ = "project_stage_changes"
    __table_args__ = (sa.Index("ix_project_stage_changes_project_at", "project_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(sa.String(24))
    to_stage: Mapped[str] = mapped_column(sa.String(24))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    project: Mapped[Project] = relationship(back_populates="stage_changes")
