"""Committee sessions: a *comité technique* event, its agenda of actions, the decisions, the minutes; closing
applies every decision and freezes a version of the plan, in the caller's one transaction: if any step fails,
the caller rolls back and no decision is applied, no version exists."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from crm.actions import services, versions
from crm.actions.models import Action, ActionStatus, AgendaItem, CommitteeSession, PlanVersion
from crm.audit import services as audit
from crm.db import utcnow
from crm.events.models import Event, EventKind
from crm.extensions import db


class CommitteeError(services.ActionError):
    pass


def open_session(event_id: int) -> CommitteeSession:
    event = db.session.get(Event, event_id)
    if event is None or event.kind != EventKind.TECHNICAL_COMMITTEE.value:
        raise CommitteeError({"event_id": "Choisissez un événement de type « comité technique »."})
    if db.session.scalar(sa.select(CommitteeSession.id).where(CommitteeSession.event_id == event_id)):
        raise CommitteeError({"event_id": "Ce comité a déjà sa séance."})
    session = CommitteeSession(event=event)
    db.session.add(session)
    db.session.flush()
    return session


def _open(session: CommitteeSession) -> None:
    if session.closed_at is not None:
        raise CommitteeError("Cette séance est close : ses décisions ne changent plus.")


def add_to_agenda(session: CommitteeSession, action_ids: list[int]) -> int:
    _open(session)
    present = {item.action_id for item in session.items}
    added = 0
    for action_id in action_ids:
        if action_id not in present and db.session.get(Action, action_id) is not None:
            session.items.append(AgendaItem(action_id=action_id))
            present.add(action_id)
            added += 1
    db.session.flush()
    return added


def record_decision(session: CommitteeSession, item_id: int, new_status: str | None, new_priority: int | None,
                    remarks: str) -> AgendaItem:
    _open(session)
    item = next((i for i in session.items if i.id == item_id), None)
    if item is None:
        raise CommitteeError("Cette action n'est pas à l'ordre du jour.")
    if new_status:
        try:
            ActionStatus(new_status)
        except ValueError as exc:
            raise CommitteeError({"new_status": "Statut inconnu."}) from exc
    if new_priority is not None and not 1 <= new_priority <= 5:
        raise CommitteeError({"new_priority": "La priorité va de 1 (la plus haute) à 5."})
    item.new_status, item.new_priority, item.remarks = new_status or None, new_priority, remarks.strip()
    db.session.flush()
    return item


def save_minutes(session: CommitteeSession, minutes: str) -> None:
    _open(session)
    session.minutes = minutes
    db.session.flush()


def close(session: CommitteeSession, on: date | None = None) -> PlanVersion:
    """Applies the decisions (agenda order) and freezes the plan. Raises on the first decision that cannot
    apply: the caller rolls back, and then nothing of the closing remains."""
    _open(session)
    on = on or date.today()
    source = f"comité du {on.strftime('%d/%m/%Y')}"
    for item in session.items:
        if item.new_status:
            services.change_status(item.action, item.new_status, on, source=source)
        if item.new_priority is not None:
            services.set_priority(item.action, item.new_priority)
    session.closed_at = utcnow()
    version = versions.freeze(session, on)
    audit.record("update", "committee", session.id, f"Comité du {on.strftime('%d/%m/%Y')} clos",
                 {"décisions": [None, sum(1 for i in session.items if i.new_status or i.new_priority)],
                  "version": [None, version.id]})
    return version


def sessions() -> list[CommitteeSession]:
    return list(db.session.scalars(sa.select(CommitteeSession).join(Event).order_by(Event.starts_at.desc())))


def committee_events() -> list[tuple[int, str]]:
    taken = sa.select(CommitteeSession.event_id)
    rows = db.session.scalars(sa.select(Event).where(Event.kind == EventKind.TECHNICAL_COMMITTEE.value,
                                                     Event.id.not_in(taken)).order_by(Event.starts_at.desc()))
    return [(e.id, f"{e.title} — {e.starts_at.strftime('%d/%m/%Y')}") for e in rows]


def sessions_of(action: Action) -> list[CommitteeSession]:
    """The committee sessions whose agenda holds the action, latest event first (the action's events)."""
    return list(db.session.scalars(
        sa.select(CommitteeSession).join(AgendaItem, AgendaItem.session_id == CommitteeSession.id)
        .join(Event, Event.id == CommitteeSession.event_id)
        .where(AgendaItem.action_id == action.id).order_by(Event.starts_at.desc())))
