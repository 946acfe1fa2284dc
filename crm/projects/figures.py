"""The pipeline's figures: projects, investment and jobs per stage and per axis, the median time spent in each
stage; the dashboard's counts and panel; what an organisation's page shows; how a task names its project."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm.actions.models import GRANTED_STATUSES, Action, FundingLine
from crm.extensions import db
from crm.partners.models import Axis, Organisation
from crm.projects.models import CLOSED, STAGE_LABELS, STAGES, Project, Stage, StageChange, project_actions
from crm.projects.queries import overdue_next_step
from crm.projects.services import SUBJECT
from crm.tasks.services import today

ZERO = Decimal("0.00")
IN_PROGRESS = [s.value for s in STAGES if s not in CLOSED]


@dataclass
class Row:
    """A line of the figures: how many projects, the investment they plan, the jobs they create and keep."""

    label: Any
    projects: int = 0
    investment: Decimal = ZERO
    jobs_created: int = 0
    jobs_kept: int = 0
    granted: Decimal = ZERO
    key: str = ""


@dataclass
class Figures:
    stages: list[Row] = field(default_factory=list)
    axes: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=lambda: Row(""))
    median_days: dict[str, float | None] = field(default_factory=dict)


def _granted_by_project() -> sa.Subquery:
    return (sa.select(FundingLine.project_id, sa.func.sum(FundingLine.amount_granted).label("granted"))
            .where(FundingLine.project_id.is_not(None), FundingLine.status.in_(GRANTED_STATUSES))
            .group_by(FundingLine.project_id).subquery())


def _rows(group: Any, ids: sa.Select[Any] | None) -> list[tuple[Any, int, Any, Any, Any, Any]]:
    granted = _granted_by_project()
    stmt = (sa.select(group, sa.func.count(Project.id), sa.func.sum(Project.investment),
                      sa.func.sum(Project.jobs_created), sa.func.sum(Project.jobs_kept), sa.func.sum(granted.c.granted))
            .select_from(Project).outerjoin(granted, granted.c.project_id == Project.id).group_by(group))
    if ids is not None:
        stmt = stmt.where(Project.id.in_(ids))
    return list(db.session.execute(stmt).all())


def _row(label: Any, values: tuple[Any, ...], key: str = "") -> Row:
    _, count, investment, created, kept, granted = values
    return Row(label, count or 0, Decimal(investment or 0).quantize(Decimal("0.01")), int(created or 0),
               int(kept or 0), Decimal(granted or 0).quantize(Decimal("0.01")), key)


def median_days_by_stage(ids: sa.Select[Any] | None = None) -> dict[str, float | None]:
    """The median number of days projects spent in each stage they have left (a stay still running is not over,
    so it does not count)."""
    stmt = sa.select(StageChange.project_id, StageChange.to_stage, StageChange.changed_at).order_by(
        StageChange.project_id, StageChange.changed_at, StageChange.id)
    if ids is not None:
        stmt = stmt.where(StageChange.project_id.in_(ids))
    stays: dict[str, list[float]] = {s.value: [] for s in STAGES}
    previous: tuple[int, str, Any] | None = None
    for project_id, stage, at in db.session.execute(stmt):
        if previous is not None and previous[0] == project_id:
            stays[previous[1]].append((at - previous[2]).total_seconds() / 86400)
        previous = (project_id, stage, at)
    return {stage: (round(statistics.median(days), 1) if days else None) for stage, days in stays.items()}


def pipeline(ids: sa.Select[Any] | None = None) -> Figures:
    """Per stage (every stage, in order) and per axis; ``ids`` narrows to the projects of a filtered list."""
    by_stage = {values[0]: values for values in _rows(Project.stage, ids)}
    stages = [_row(STAGE_LABELS[s], by_stage.get(s.value, (s.value, 0, 0, 0, 0, 0)), s.value) for s in STAGES]
    axis_rows = _rows(Project.axis_id, ids)
    labels = dict(db.session.execute(sa.select(Axis.id, Axis.label)).all())
    axes = [_row(labels.get(values[0], "Sans axe"), values) for values in axis_rows]
    axes.sort(key=lambda row: str(row.label))
    total = Row("Total", sum(r.projects for r in stages), sum((r.investment for r in stages), ZERO),
                sum(r.jobs_created for r in stages), sum(r.jobs_kept for r in stages),
                sum((r.granted for r in stages), ZERO))
    return Figures(stages, axes, total, median_days_by_stage(ids))


# --- Dashboard ----------------------------------------------------------------------------------


def in_progress() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Project).where(
        Project.stage.in_(IN_PROGRESS))) or 0


def overdue_next_steps(day: date | None = None) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Project).where(
        Project.stage.in_(IN_PROGRESS), overdue_next_step(day or today()))) or 0


def granted_in(year: int) -> Decimal:
    """Funding granted to projects by decisions of that year (lines accorded or paid)."""
    total = db.session.scalar(sa.select(sa.func.sum(FundingLine.amount_granted)).where(
        FundingLine.project_id.is_not(None), FundingLine.status.in_(GRANTED_STATUSES),
        FundingLine.decided_on >= date(year, 1, 1), FundingLine.decided_on <= date(year, 12, 31)))
    return Decimal(total or 0).quantize(Decimal("0.01"))


def panel() -> dict[str, Any]:
    day = today()
    figures = pipeline()
    return {"project_figures": figures, "granted_this_year": granted_in(day.year), "year": day.year,
            "projects_in_progress": in_progress(), "projects_overdue": overdue_next_steps(day)}


# --- Elsewhere ----------------------------------------------------------------------------------


def organisation_section(organisation: Organisation) -> tuple[str, dict[str, Any]] | None:
    """The ``partners.organisation_sections`` hook: the organisation's projects, their stage and funding."""
    found = list(db.session.scalars(sa.select(Project).where(Project.organisation_id == organisation.id)
                                    .order_by(Project.stage_since.desc())))
    return ("projects/_organisation.html", {"org_projects": found}) if found else None


def subject_refs(kind: str, ids: list[int]) -> dict[int, tuple[str, str, dict[str, Any]]] | None:
    """The ``tasks.subjects`` hook: a project named by its title and firm, on its page."""
    if kind != SUBJECT:
        return None
    rows = db.session.execute(sa.select(Project.id, Project.title, Organisation.name)
                              .join(Organisation, Organisation.id == Project.organisation_id)
                              .where(Project.id.in_(ids)))
    return {i: (f"{title} ({name})", "projects.detail", {"project_id": i}) for i, title, name in rows}




def report_section() -> tuple[str, dict[str, Any]] | None:
    """The ``actions.report_sections`` hook: the firms' projects in the committee's progress report (counts,
    investment, jobs and funding per stage; the projects each action of the plan carries)."""
    figures = pipeline()
    if not figures.total.projects:
        return None
    by_action = list(db.session.execute(
        sa.select(Action.code, Action.title, sa.func.count(project_actions.c.project_id))
        .join(project_actions, project_actions.c.action_id == Action.id)
        .group_by(Action.code, Action.title).order_by(Action.code)).all())
    return ("projects/_report.html", {"project_figures": figures, "by_action": by_action,
                                      "granted_this_year": granted_in(today().year), "year": today().year})
