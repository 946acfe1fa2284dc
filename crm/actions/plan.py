"""The plan as one document: every action with its partners, milestones, funding lines and indicators, read in a
fixed number of queries (one per table, whatever the number of actions), as plain JSON-ready dicts.

The same document is what a committee freezes (``PlanVersion.snapshot``), what the report, its print and its
spreadsheet show, what the public page publishes and what two versions are compared on: one shape, so the
figures cannot disagree. Amounts and measures are kept as strings of their exact decimal value.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm.actions.models import (
    GRANTED_STATUSES,
    Action,
    ActionPartner,
    ActionPilot,
    FundingLine,
    Indicator,
    IndicatorValue,
    Milestone,
)
from crm.actions.services import progress
from crm.extensions import db
from crm.partners.models import Axis, Contact, Organisation

ZERO = Decimal("0.00")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def load(*, people: bool = False, public_only: bool = False) -> dict[str, Any]:
    """The live plan. ``people`` adds the pilot's contact name (back office only; never frozen or published)."""
    axes = [{"id": a.id, "code": a.code, "label": a.label}
            for a in db.session.scalars(sa.select(Axis).order_by(Axis.position))]
    pilot_org = sa.orm.aliased(Organisation)
    stmt = (sa.select(Action.id, Action.code, Action.title, Action.axis_id, Action.objective, Action.origin,
                      Action.status, Action.status_since, Action.priority, Action.is_public, Action.planned_start,
                      Action.planned_end, Action.actual_start, Action.actual_end, pilot_org.name)
            .outerjoin(pilot_org, pilot_org.id == Action.pilot_organisation_id))
    if public_only:
        stmt = stmt.where(Action.is_public.is_(True))
    actions: dict[int, dict[str, Any]] = {}
    for row in db.session.execute(stmt):
        actions[row.id] = {
            "id": row.id, "code": row.code, "title": row.title, "axis_id": row.axis_id, "objective": row.objective,
            "origin": row.origin, "status": row.status, "status_since": _iso(row.status_since),
            "priority": row.priority, "public": row.is_public, "planned_start": _iso(row.planned_start),
            "planned_end": _iso(row.planned_end), "actual_start": _iso(row.actual_start),
            "actual_end": _iso(row.actual_end), "pilot": row.name or "", "partners": [], "milestones": [],
            "funding": [], "indicators": [],
        }

    def mine(action_column: Any) -> Any:
        return action_column.in_(sa.select(Action.id).where(Action.is_public.is_(True))) if public_only else sa.true()

    for action_id, name, role in db.session.execute(
            sa.select(ActionPartner.action_id, Organisation.name, ActionPartner.role)
            .join(Organisation, Organisation.id == ActionPartner.organisation_id)
            .where(mine(ActionPartner.action_id)).order_by(ActionPartner.id)):
        actions[action_id]["partners"].append({"name": name, "role": role})
    for m in db.session.execute(sa.select(Milestone.id, Milestone.action_id, Milestone.title, Milestone.due_on,
                                          Milestone.done_on).where(mine(Milestone.action_id))
                                .order_by(Milestone.due_on, Milestone.id)):
        actions[m.action_id]["milestones"].append({"id": m.id, "title": m.title, "due_on": _iso(m.due_on),
                                                   "done_on": _iso(m.done_on)})
    for f in db.session.execute(
            sa.select(FundingLine.id, FundingLine.action_id, Organisation.name, FundingLine.scheme,
                      FundingLine.amount_requested, FundingLine.amount_granted, FundingLine.status,
                      FundingLine.requested_on, FundingLine.decided_on, FundingLine.paid_on)
            .join(Organisation, Organisation.id == FundingLine.funder_id)
            .where(FundingLine.action_id.is_not(None), mine(FundingLine.action_id)).order_by(FundingLine.id)):
        granted = (f.amount_granted or ZERO) if f.status in GRANTED_STATUSES else ZERO
        actions[f.action_id]["funding"].append({
            "id": f.id, "funder": f.name, "scheme": f.scheme, "status": f.status,
            "requested": str(Decimal(f.amount_requested).quantize(ZERO)),
            "granted": str(Decimal(granted).quantize(ZERO)),
            "requested_on": _iso(f.requested_on), "decided_on": _iso(f.decided_on), "paid_on": _iso(f.paid_on)})
    indicators: dict[int, dict[str, Any]] = {}
    for i in db.session.execute(sa.select(Indicator.id, Indicator.action_id, Indicator.name, Indicator.unit,
                                          Indicator.baseline, Indicator.target)
                                .where(mine(Indicator.action_id)).order_by(Indicator.id)):
        indicators[i.id] = item = {"id": i.id, "name": i.name, "unit": i.unit, "baseline": _num(i.baseline),
                                   "target": _num(i.target), "values": []}
        actions[i.action_id]["indicators"].append(item)
    for indicator_id, measured_on, value in db.session.execute(
            sa.select(IndicatorValue.indicator_id, IndicatorValue.measured_on, IndicatorValue.value)
            .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
            .where(mine(Indicator.action_id)).order_by(IndicatorValue.measured_on)):
        indicators[indicator_id]["values"].append([measured_on.isoformat(), _num(value)])
    if people:
        for action_id, first, last in db.session.execute(
                sa.select(ActionPilot.action_id, Contact.first_name, Contact.last_name)
                .join(Contact, Contact.id == ActionPilot.contact_id)):
            if action_id in actions:
                actions[action_id]["pilot_contact"] = f"{first} {last}".strip()
    ordered = sorted(actions.values(), key=lambda a: _code_key(a["code"]))
    return {"axes": axes, "actions": ordered}


def _num(value: Any) -> str:
    """A measure as its shortest exact decimal string ("12", "2.5")."""
    number = Decimal(value)
    text = format(number.normalize(), "f")
    return text


def _code_key(code: str) -> tuple[Any, ...]:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in code.split("."))


# --- Reading a document ------------------------------------------------------------------------


@dataclass
class Totals:
    actions: int = 0
    requested: Decimal = ZERO
    granted: Decimal = ZERO
    lines: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, action: dict[str, Any]) -> None:
        self.actions += 1
        self.by_status[action["status"]] = self.by_status.get(action["status"], 0) + 1
        for line in action["funding"]:
            self.lines += 1
            self.requested += Decimal(line["requested"])
            self.granted += Decimal(line["granted"])


@dataclass
class AxisSection:
    axis: dict[str, Any]
    actions: list[dict[str, Any]]
    totals: Totals


def last_value(indicator: dict[str, Any]) -> tuple[str | None, Decimal | None]:
    if not indicator["values"]:
        return None, None
    on, value = indicator["values"][-1]
    return on, Decimal(value)


def indicator_progress(indicator: dict[str, Any]) -> float | None:
    return progress(Decimal(indicator["baseline"]), Decimal(indicator["target"]), last_value(indicator)[1])


def action_progress(action: dict[str, Any]) -> float | None:
    """The mean progress of the action's measured indicators."""
    found = [p for p in (indicator_progress(i) for i in action["indicators"]) if p is not None]
    return sum(found) / len(found) if found else None


def sections(document: dict[str, Any]) -> tuple[list[AxisSection], Totals]:
    """The document by axis (the axes' order), with totals per axis and for the whole plan."""
    by_axis: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for action in document["actions"]:
        by_axis[action["axis_id"]].append(action)
    result, plan = [], Totals()
    for axis in document["axes"]:
        totals = Totals()
        for action in by_axis.get(axis["id"], []):
            totals.add(action)
            plan.add(action)
        result.append(AxisSection(axis, by_axis.get(axis["id"], []), totals))
    return result, plan
