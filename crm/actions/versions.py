"""Frozen versions of the plan, and what changed between two of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm.actions import plan
from crm.actions.models import CommitteeSession, PlanVersion
from crm.extensions import db


def freeze(session: CommitteeSession | None = None, on: date | None = None) -> PlanVersion:
    """Freezes the plan as it stands in the current transaction (no personal data: pilots by organisation)."""
    version = PlanVersion(frozen_on=on or date.today(), session=session, snapshot=plan.load(people=False))
    db.session.add(version)
    db.session.flush()
    return version


def latest() -> PlanVersion | None:
    return db.session.scalar(sa.select(PlanVersion).order_by(PlanVersion.frozen_at.desc(), PlanVersion.id.desc())
                             .limit(1))


def previous(version: PlanVersion) -> PlanVersion | None:
    return db.session.scalar(sa.select(PlanVersion).where(PlanVersion.id < version.id)
                             .order_by(PlanVersion.id.desc()).limit(1))


def all_versions() -> list[PlanVersion]:
    """Every version, newest first, without their snapshots (a large plan's JSON is read only when shown)."""
    return list(db.session.scalars(sa.select(PlanVersion).options(sa.orm.defer(PlanVersion.snapshot))
                                   .order_by(PlanVersion.id.desc())))


def public_document(version: PlanVersion) -> dict[str, Any]:
    """The version as the public sees it: actions marked public only."""
    return {"axes": version.snapshot["axes"], "actions": [a for a in version.snapshot["actions"] if a["public"]]}


@dataclass
class Changes:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[tuple[dict[str, Any], str, str]] = field(default_factory=list)  # action, old, new
    indicators: list[tuple[dict[str, Any], dict[str, Any], str | None, str | None]] = field(default_factory=list)
    funding: list[tuple[dict[str, Any], dict[str, Any], Decimal, Decimal]] = field(default_factory=list)
    milestones: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.statuses or self.indicators or self.funding
                    or self.milestones)


def compare(old: dict[str, Any], new: dict[str, Any]) -> Changes:
    """What moved from ``old`` to ``new``: actions added (or removed), status changes, indicator values moved,
    funding granted (more granted on a line than before), milestones met. An action new in ``new`` lists its
    funding, measures and milestones too: they are changes since ``old``."""
    before = {a["id"]: a for a in old["actions"]}
    changes = Changes()
    old_lines = {f["id"]: f for a in old["actions"] for f in a["funding"]}
    old_indicators = {i["id"]: i for a in old["actions"] for i in a["indicators"]}
    old_done = {m["id"] for a in old["actions"] for m in a["milestones"] if m["done_on"]}
    for action in new["actions"]:
        was = before.pop(action["id"], None)
        if was is None:
            changes.added.append(action)
        elif was["status"] != action["status"]:
            changes.statuses.append((action, was["status"], action["status"]))
        for indicator in action["indicators"]:
            then = old_indicators.get(indicator["id"])
            old_last = plan.last_value(then) if then else (None, None)
            new_last = plan.last_value(indicator)
            if new_last != old_last and new_last[1] is not None:
                changes.indicators.append((action, indicator, plan._num(old_last[1]) if old_last[1] is not None
                                           else None, plan._num(new_last[1])))
        for line in action["funding"]:
            was_granted = Decimal(old_lines[line["id"]]["granted"]) if line["id"] in old_lines else Decimal("0")
            if Decimal(line["granted"]) > was_granted:
                changes.funding.append((action, line, was_granted, Decimal(line["granted"])))
        for milestone in action["milestones"]:
            if milestone["done_on"] and milestone["id"] not in old_done:
                changes.milestones.append((action, milestone))
    changes.removed = list(before.values())
    return changes
