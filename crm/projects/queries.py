"""The projects list and board: filters (axis, sector, commune, funding scheme, stage, owner, overdue next
step) shared by the board, the list and its exports."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.actions.models import FundingLine
from crm.db import MAX_INTEGER
from crm.extensions import db
from crm.partners.models import Axis, Sector, organisation_sectors
from crm.projects.models import CLOSED, STAGES, Project, Stage
from crm.projects.services import SUBJECT
from crm.tasks.models import Task, TaskStatus


IN_PROGRESS_FILTER = "en-cours"  # every stage but the closed ones: what the dashboard's « projets en cours » counts


@dataclass
class ProjectFilters:
    axe: str = ""  # axis code
    filiere: str = ""  # sector code
    commune: str = ""
    dispositif: str = ""  # funding scheme, as typed on the lines
    etape: str = ""  # stage
    suivi: str = ""  # owner id
    retard: str = ""  # "1": only projects whose next step is overdue

    @classmethod
    def from_args(cls, args: Any) -> ProjectFilters:
        return cls(**{name: (args.get(name) or "").strip()[:200] for name in cls.__dataclass_fields__})

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}


def overdue_next_step(day: date) -> sa.ColumnElement[bool]:
    return sa.exists().where(Task.subject_kind == SUBJECT, Task.subject_id == Project.id,
                             Task.status == TaskStatus.OPEN.value, Task.due_on < day)


def select_projects(filters: ProjectFilters, day: date) -> sa.Select[Any]:
    stmt = sa.select(Project)
    if filters.axe:
        stmt = stmt.where(Project.axis_id == sa.select(Axis.id).where(Axis.code == filters.axe).scalar_subquery())
    if filters.filiere:
        stmt = stmt.where(sa.exists().where(
            organisation_sectors.c.organisation_id == Project.organisation_id,
            organisation_sectors.c.sector_id == sa.select(Sector.id).where(Sector.code == filters.filiere)
            .scalar_subquery()))
    if filters.commune:
        stmt = stmt.where(sa.func.lower(Project.commune).contains(filters.commune.lower(), autoescape=True))
    if filters.dispositif:
        stmt = stmt.where(sa.exists().where(FundingLine.project_id == Project.id,
                                            sa.func.lower(FundingLine.scheme).contains(filters.dispositif.lower(),
                                                                                           autoescape=True)))
    if filters.etape in {s.value for s in Stage}:
        stmt = stmt.where(Project.stage == filters.etape)
    elif filters.etape == IN_PROGRESS_FILTER:
        stmt = stmt.where(Project.stage.not_in([s.value for s in CLOSED]))
    if filters.suivi.isdigit() and int(filters.suivi) <= MAX_INTEGER:
        stmt = stmt.where(Project.owner_id == int(filters.suivi))
    if filters.retard == "1":
        stmt = stmt.where(overdue_next_step(day))
    return stmt


def projects(filters: ProjectFilters, day: date) -> list[Project]:
    stmt = (select_projects(filters, day)
            .options(selectinload(Project.funding_lines), selectinload(Project.actions))
            .order_by(Project.stage_since.desc(), Project.id.desc()))
    return list(db.session.scalars(stmt).unique())


def by_stage(items: list[Project]) -> list[tuple[Stage, list[Project]]]:
    """The board's columns: every stage in order, each with its projects (empty columns too)."""
    columns: dict[Stage, list[Project]] = {stage: [] for stage in STAGES}
    for project in items:
        columns[Stage(project.stage)].append(project)
    return list(columns.items())


def scheme_choices() -> list[str]:
    stmt = (sa.select(FundingLine.scheme).distinct().where(FundingLine.project_id.is_not(None), FundingLine.scheme != "")
            .order_by(FundingLine.scheme))
    return list(db.session.scalars(stmt))
