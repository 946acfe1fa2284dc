"""The lists of the events back office: events with their counts, invitees with filters, the CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from crm.db import utcnow
from crm.i18n import to_local
from crm.events.models import INVITATION_STATUS_LABELS, Event, Invitation, InvitationStatus
from crm.extensions import db
from crm.forms import untranslated
from crm.pagination import Page, paginate
from crm.partners.export import csv_rows
from crm.partners.models import Contact, Organisation
from crm.partners.normalize import search_key

PREFIX_END = "\uffff"


@dataclass
class InviteeFilters:
    status: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args: Any) -> InviteeFilters:
        return cls(**{f.name: (args.get(f.name) or "").strip() for f in fields(cls) if args.get(f.name)})

    def as_args(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def events_with_counts(*, upcoming: bool, now: datetime | None = None) -> list[tuple[Event, dict[str, int]]]:
    now = now or utcnow()
    stmt = sa.select(Event)
    stmt = (stmt.where(Event.ends_at >= now).order_by(Event.starts_at) if upcoming
            else stmt.where(Event.ends_at < now).order_by(Event.starts_at.desc()).limit(100))
    events = list(db.session.scalars(stmt))
    if not events:
        return []
    rows = db.session.execute(sa.select(Invitation.event_id, Invitation.status, sa.func.count())
                              .where(Invitation.event_id.in_([e.id for e in events]))
                              .group_by(Invitation.event_id, Invitation.status)).all()
    per_event: dict[int, dict[str, int]] = {}
    for event_id, status, n in rows:
        per_event.setdefault(event_id, {})[status] = n
    result = []
    for event in events:
        by_status = per_event.get(event.id, {})
        seats = by_status.get("accepted", 0) + by_status.get("attended", 0) + by_status.get("no_show", 0)
        result.append((event, {"invited": sum(n for s, n in by_status.items() if s != "cancelled"), "yes": seats,
                               "waiting": by_status.get("waitlisted", 0), "came": by_status.get("attended", 0)}))
    return result


def invitees_statement(event: Event, filters: InviteeFilters) -> sa.Select[Any]:
    stmt = (sa.select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
            .where(Invitation.event_id == event.id))
    if filters.status == "answered":
        stmt = stmt.where(Invitation.answered_at.is_not(None))
    elif filters.status in {s.value for s in InvitationStatus}:
        stmt = stmt.where(Invitation.status == filters.status)
    for token in search_key(filters.q).split()[:4]:
        stmt = stmt.where(sa.or_(
            sa.and_(Contact.last_name_key >= token, Contact.last_name_key < token + PREFIX_END),
            sa.and_(Contact.first_name_key >= token, Contact.first_name_key < token + PREFIX_END),
            sa.and_(Contact.email >= token, Contact.email < token + PREFIX_END),
        ))
    return stmt.order_by(Contact.last_name_key, Contact.first_name_key, Invitation.id)


def invitees(event: Event, filters: InviteeFilters, page: int, per_page: int) -> Page[Invitation]:
    return paginate(invitees_statement(event, filters), page, per_page)


def door_list(event: Event, q: str = "") -> list[Invitation]:
    """Who may turn up: yes, waiting list, already marked; everyone when searching by name."""
    stmt = invitees_statement(event, InviteeFilters(q=q))
    if not q:
        stmt = stmt.where(Invitation.status.in_([InvitationStatus.ACCEPTED.value, InvitationStatus.WAITLISTED.value,
                                                 InvitationStatus.ATTENDED.value, InvitationStatus.NO_SHOW.value]))
    return list(db.session.scalars(stmt))


def _fmt(value: datetime | None) -> str:
    return to_local(value).strftime("%d/%m/%Y %H:%M") if value else ""


EXPORT_HEADER = ["Nom", "Prénom", "E-mail", "Structure", "Commune", "Fonction", "Réponse", "Répondu le",
                 "Invitation envoyée le", "Présence notée le"]


def invitees_csv(event: Event, filters: InviteeFilters) -> Iterator[str]:
    stmt = invitees_statement(event, filters).execution_options(yield_per=500)

    def rows() -> Iterator[list[Any]]:
        for invitation in db.session.scalars(stmt):
            contact = invitation.contact
            organisation: Organisation | None = contact.organisation
            yield [contact.last_name, contact.first_name, contact.email or "",
                   organisation.name if organisation else "", organisation.commune if organisation else "",
                   contact.job_title, untranslated(INVITATION_STATUS_LABELS[InvitationStatus(invitation.status)]),
                   _fmt(invitation.answered_at), _fmt(invitation.sent_at), _fmt(invitation.attendance_marked_at)]

    return csv_rows(EXPORT_HEADER, rows())
