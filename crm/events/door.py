"""The door of an event: someone who was not invited turns up. The team at the door adds them and marks them
present: a known contact, or a new person (the door is the team: it may create the contact, unlike public input,
which only proposes)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crm.audit import services as audit
from crm.db import utcnow
from crm.events.models import Event, Invitation, InvitationStatus
from crm.events.services import EventValidationError, mark_attendance
from crm.extensions import db
from crm.forms import InvalidEmail, normalize_email
from crm.partners import queries as partner_queries
from crm.partners import services as partners
from crm.partners.models import Contact, Organisation
from crm.partners.normalize import search_key

CANDIDATES_SHOWN = 10


@dataclass
class WalkIn:
    first_name: str = ""
    last_name: str = ""
    organisation: str = ""
    email: str = ""


def candidates(event: Event, q: str) -> list[Contact]:
    """Known contacts matching the search who are not invited to the event (the door may add them)."""
    if not q.strip():
        return []
    invited = sa.select(Invitation.contact_id).where(Invitation.event_id == event.id)
    stmt = (partner_queries.contacts_statement(partner_queries.PartnerFilters(q=q))
            .where(Contact.email.is_not(None), Contact.id.not_in(invited)).limit(CANDIDATES_SHOWN))
    return list(db.session.scalars(stmt))


def _check(event: Event) -> None:
    if event.is_cancelled:
        raise EventValidationError({"event": "Cet événement est annulé."})


def admit(event: Event, contact: Contact, *, user_id: int | None = None, now: datetime | None = None) -> Invitation:
    """The contact is present: their invitation (added if none, without any mail) marked attended."""
    _check(event)
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.event_id == event.id,
                                                               Invitation.contact_id == contact.id))
    if invitation is None:
        invitation = Invitation(event_id=event.id, contact_id=contact.id, status=InvitationStatus.INVITED.value,
                                token=secrets.token_urlsafe(32))
        db.session.add(invitation)
        db.session.flush()
        audit.record("event_walk_in", "contact", contact.id, f"Venu sans invitation : {event.title}",
                     user_id=user_id)
    elif invitation.status == InvitationStatus.CANCELLED.value:
        invitation.status = InvitationStatus.INVITED.value
    mark_attendance(invitation, True, now=now or utcnow())
    return invitation


def _organisation(name: str) -> Organisation | None:
    name = " ".join(name.split())
    if not name:
        return None
    known = db.session.scalar(sa.select(Organisation).where(Organisation.name_key == search_key(name))
                              .order_by(Organisation.id).limit(1))
    return known or partners.save_organisation(partners.OrganisationInput(name=name[:200]))


def admit_new_person(event: Event, data: WalkIn, *, user_id: int | None = None) -> Invitation:
    """A person the base does not know yet (or whose address it knows: no twin, the known contact comes)."""
    _check(event)
    try:
        email = normalize_email(data.email)
    except InvalidEmail as exc:
        raise EventValidationError({"email": str(exc)}) from exc
    known = partners.find_contact_by_email(email)
    if known is not None:
        return admit(event, known, user_id=user_id)
    if not data.first_name.strip() and not data.last_name.strip():
        raise EventValidationError({"last_name": "Indiquez au moins le nom ou le prénom."})
    organisation = _organisation(data.organisation)
    contact = partners.save_contact(partners.ContactInput(
        email=email, first_name=data.first_name[:100], last_name=data.last_name[:100],
        organisation_id=organisation.id if organisation else None))
    return admit(event, contact, user_id=user_id)
