"""The plan's figures on the dashboard (one aggregate query each), and what an organisation's page shows of it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from crm.actions.models import (
    PARTNER_ROLE_LABELS,
    Action,
    ActionPartner,
    ActionStatus,
    FundingLine,
    PartnerRole,
    Proposal,
    ProposalStatus,
)
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.partners.models import Axis, Organisation


def actions_in_progress() -> int:
    return actions(ActionStatus.IN_PROGRESS.value)


def actions(status: str = "") -> int:
    """The plan's actions (of that status): the count the plan's page shows with the same filter."""
    stmt = sa.select(sa.func.count()).select_from(Action)
    if status:
        stmt = stmt.where(Action.status == status)
    return db.session.scalar(stmt) or 0


def open_proposals() -> int:
    return len(proposals_with_status(ProposalStatus.OPEN.value))


def proposals_with_status(status: str = "") -> list[Proposal]:
    """The proposals list (of that status), newest first: the list page and the dashboard's count."""
    stmt = sa.select(Proposal).order_by(Proposal.created_at.desc(), Proposal.id.desc())
    if status:
        stmt = stmt.where(Proposal.status == status)
    return list(db.session.scalars(stmt))


def engagements(organisation_id: int) -> list[tuple[Action, list[str]]]:
    """The actions an organisation pilots, takes part in (with its role) or funds, in code order: three
    queries whatever their number."""
    roles: dict[int, list[str]] = {}
    for action_id in db.session.scalars(sa.select(Action.id).where(Action.pilot_organisation_id == organisation_id)):
        roles.setdefault(action_id, []).append(str(_l("pilote")))
    for action_id, role in db.session.execute(sa.select(ActionPartner.action_id, ActionPartner.role)
                                              .where(ActionPartner.organisation_id == organisation_id)):
        roles.setdefault(action_id, []).append(str(PARTNER_ROLE_LABELS[PartnerRole(role)]).lower())
    for action_id in db.session.scalars(sa.select(FundingLine.action_id).distinct().where(
            FundingLine.funder_id == organisation_id, FundingLine.action_id.is_not(None))):
        label = str(_l("financeur"))
        if label not in roles.setdefault(action_id, []):
            roles[action_id].append(label)
    if not roles:
        return []
    actions = db.session.scalars(sa.select(Action).where(Action.id.in_(roles)).order_by(Action.code))
    return [(action, roles[action.id]) for action in actions]


def organisation_section(organisation: Organisation) -> tuple[str, dict[str, Any]] | None:
    """The ``partners.organisation_sections`` hook: the actions of the plan the organisation is engaged in."""
    found = engagements(organisation.id)
    return ("actions/_organisation.html", {"engagements": found}) if found else None


def engaged_organisations(action_code: str, axis_code: str) -> sa.Select[Any] | None:
    """The ``segments.engaged_organisations`` hook: the organisations that pilot, take part in or fund the action
    of that code (None: no such action), or any action of that axis."""
    actions = sa.select(Action.id)
    if action_code:
        if db.session.scalar(sa.select(Action.id).where(Action.code == action_code)) is None:
            return None
        actions = actions.where(Action.code == action_code)
    if axis_code:
        actions = actions.where(Action.axis_id == sa.select(Axis.id).where(Axis.code == axis_code).scalar_subquery())
    return sa.union(
        sa.select(Action.pilot_organisation_id).where(Action.id.in_(actions), Action.pilot_organisation_id.is_not(None)),
        sa.select(ActionPartner.organisation_id).where(ActionPartner.action_id.in_(actions)),
        sa.select(FundingLine.funder_id).where(FundingLine.action_id.in_(actions)),
    ).subquery().select()
