"""Fictional organisations, people and actions for the action plan's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm.actions import services
from crm.actions.models import Action, ActionStatus
from crm.events.models import Event, EventKind
from crm.extensions import db
from crm.partners.models import Axis, Organisation
from crm.partners.normalize import search_key
from tests.factories import contact


def organisation(name: str) -> Organisation:
    org = Organisation(name=name, name_key=search_key(name))
    db.session.add(org)
    db.session.flush()
    return org


def axis(code: str = "innovation") -> Axis:
    return db.session.scalar(sa.select(Axis).where(Axis.code == code))


def action(code: str = "2.1", title: str = "Vitrine industrielle", *, status: ActionStatus = ActionStatus.PROPOSED,
           axis_code: str = "innovation", **fields: Any) -> Action:
    item = services.create_action(services.ActionInput(code=code, title=title, axis_id=axis(axis_code).id, **fields),
                                  status=status)
    db.session.flush()
    return item


def person(email: str, org: Organisation, first: str = "Camille", last: str = "Exemple") -> Any:
    return contact(email, first, last, organisation=org)


def committee_event(days: int = -1) -> Event:
    starts = datetime.now(UTC) + timedelta(days=days)
    event = Event(uid=f"{starts.timestamp()}-{days}@test", kind=EventKind.TECHNICAL_COMMITTEE.value,
                  title="Comité technique semestriel", starts_at=starts, ends_at=starts + timedelta(hours=2))
    db.session.add(event)
    db.session.flush()
    return event


def granted_line(item: Action, funder: Organisation, requested: str, granted: str | None = None) -> Any:
    status = "accorde" if granted is not None else "demande"
    return services.add_funding(item, services.FundingInput(
        funder_id=funder.id, scheme="Fonds Territoires d'industrie", amount_requested=Decimal(requested),
        amount_granted=granted, status=status))
