"""Writes on organisations, contacts, the Club, ambassadors and notes. Functions flush; callers commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from crm.audit import services as audit
from crm.db import utcnow
from crm.errors import ValidationError
from crm.extensions import db
from crm.partners import taxonomy
from crm.partners.models import (
    AmbassadorStatus,
    Axis,
    ClubMembership,
    Contact,
    ContactEmail,
    Note,
    NoteKind,
    Organisation,
    OrganisationKind,
    Sector,
)
from crm.partners.normalize import (
    InvalidEmail,
    InvalidSiret,
    InvalidWebsite,
    normalize_email,
    normalize_naf,
    normalize_siret,
    normalize_website,
    search_key,
)
from crm.partners.territory import InvalidPostalCode, locate
from crm.partners.words import refresh_contact_words, refresh_organisation_words


class PartnerValidationError(ValidationError):
    """Field -> French message; nothing has been written when it is raised."""


@dataclass
class OrganisationInput:
    name: str
    kind: str = ""
    sectors: list[str] = field(default_factory=list)
    naf_code: str = ""
    siret: str = ""
    headcount_band: str = ""
    address: str = ""
    postal_code: str = ""
    commune: str = ""
    website: str = ""


@dataclass
class ContactInput:
    email: str
    first_name: str = ""
    last_name: str = ""
    civility: str = ""
    phone: str = ""
    job_title: str = ""
    organisation_id: int | None = None
    sectors: list[str] = field(default_factory=list)
    axes: list[str] = field(default_factory=list)
    ambassador_status: str = AmbassadorStatus.NONE.value
    kit_sent_on: date | None = None
    language: str = "fr"


ORGANISATION_AUDITED = ["name", "kind", "sectors", "naf_code", "siret", "headcount_band", "address",
                        "postal_code", "commune", "website"]
CONTACT_AUDITED = ["civility", "first_name", "last_name", "email", "phone", "job_title", "organisation",
                   "sectors", "axes", "ambassador_status", "kit_sent_on", "language"]


def organisation_input_of(organisation: Organisation) -> OrganisationInput:
    """The input that saves the organisation as it is: change what must change, then ``save_organisation``."""
    return OrganisationInput(
        name=organisation.name, kind=organisation.kind.code if organisation.kind else "",
        sectors=[s.code for s in organisation.sectors], naf_code=organisation.naf_code or "",
        siret=organisation.siret or "", headcount_band=organisation.headcount_band or "",
        address=organisation.address, postal_code=organisation.postal_code or "", commune=organisation.commune,
        website=organisation.website)


def contact_input_of(contact: Contact) -> ContactInput:
    """The input that saves the contact as it is: change what must change, then ``save_contact``."""
    return ContactInput(
        email=contact.email or "", first_name=contact.first_name, last_name=contact.last_name,
        civility=contact.civility, phone=contact.phone, job_title=contact.job_title,
        organisation_id=contact.organisation_id, sectors=[s.code for s in contact.sectors],
        axes=[a.code for a in contact.axes], ambassador_status=contact.ambassador_status,
        kit_sent_on=contact.kit_sent_on, language=contact.language)


def find_organisation_by_siret(siret: str) -> Organisation | None:
    return db.session.scalar(sa.select(Organisation).where(Organisation.siret == siret))


def find_contact_by_email(email: str) -> Contact | None:
    return db.session.scalar(sa.select(Contact).where(Contact.email == email))


def contact_ids_by_other_email(emails: list[str]) -> dict[str, int]:
    """Addresses kept as another address of a person (after a merge) -> that person's id."""
    if not emails:
        return {}
    return dict(db.session.execute(sa.select(ContactEmail.email, ContactEmail.contact_id)
                                   .where(ContactEmail.email.in_(emails))).all())


def addresses_of(contact_id: int) -> set[str]:
    """Every address of the person: the one mail goes to, and the others kept by merges."""
    main = db.session.scalar(sa.select(Contact.email).where(Contact.id == contact_id))
    others = db.session.scalars(sa.select(ContactEmail.email).where(ContactEmail.contact_id == contact_id,
                                                                    ContactEmail.email.is_not(None)))
    return {address for address in (main, *others) if address}


def keep_other_email(contact_id: int, email: str | None, source: str = "merge") -> bool:
    """Keeps ``email`` as another address of the person (once; never their main address). Flushes."""
    if not email:
        return False
    if email in addresses_of(contact_id):
        return False
    db.session.execute(sa.delete(ContactEmail.__table__).where(ContactEmail.email == email))
    db.session.add(ContactEmail(contact_id=contact_id, email=email, source=source))
    db.session.flush()
    return True


def _clean_organisation(data: OrganisationInput, current: Organisation | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"name": data.name.strip(), "address": data.address.strip(),
                              "commune": data.commune.strip(),
                              "headcount_band": data.headcount_band or None}
    if not values["name"]:
        errors["name"] = "Le nom de la structure est obligatoire."
    try:
        values["siret"] = normalize_siret(data.siret)
    except InvalidSiret as exc:
        errors["siret"] = str(exc)
    else:
        other = find_organisation_by_siret(values["siret"]) if values["siret"] else None
        if other is not None and other is not current:
            errors["siret"] = f"Ce SIRET est déjà celui de « {other.name} »."
    try:
        values["website"] = normalize_website(data.website)
    except InvalidWebsite as exc:
        errors["website"] = str(exc)
    try:
        values["naf_code"] = normalize_naf(data.naf_code)
    except ValueError as exc:
        errors["naf_code"] = str(exc)
    values["postal_code"] = values["department"] = values["region"] = None
    if data.postal_code.strip():
        try:
            place = locate(data.postal_code)
        except InvalidPostalCode as exc:
            errors["postal_code"] = str(exc)
        else:
            values.update(postal_code=place.postal_code, department=place.department, region=place.region)
    values["kind"] = None
    if data.kind:
        values["kind"] = db.session.scalar(sa.select(OrganisationKind).where(OrganisationKind.code == data.kind))
        if values["kind"] is None:
            errors["kind"] = "Type de structure inconnu."
    if errors:
        raise PartnerValidationError(errors)
    values["sectors"] = taxonomy.by_codes(Sector, data.sectors)
    values["name_key"] = search_key(values["name"])
    values["commune_key"] = search_key(values["commune"])
    return values


def save_organisation(data: OrganisationInput, organisation: Organisation | None = None) -> Organisation:
    values = _clean_organisation(data, organisation)
    creating = organisation is None
    if organisation is None:
        organisation = Organisation()
        db.session.add(organisation)
    target = organisation
    with audit.track_changes("organisation", target, ORGANISATION_AUDITED, creating=creating,
                             created=lambda: f"Structure créée : {target.name}", updated="Structure modifiée"):
        for key, value in values.items():
            setattr(target, key, value)
    db.session.flush()  # a new structure gets its id
    refresh_organisation_words([organisation.id])
    return organisation


def delete_organisation(organisation: Organisation) -> None:
    audit.record("delete", "organisation", organisation.id, f"Structure supprimée : {organisation.name}")
    db.session.delete(organisation)
    db.session.flush()


def _clean_contact(data: ContactInput, current: Contact | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "civility": data.civility, "first_name": data.first_name.strip(), "last_name": data.last_name.strip(),
        "phone": data.phone.strip(), "job_title": data.job_title.strip(), "kit_sent_on": data.kit_sent_on,
        "language": data.language if data.language in {"fr", "en"} else "fr",
    }
    try:
        values["email"] = normalize_email(data.email)
    except InvalidEmail as exc:
        errors["email"] = str(exc)
    else:
        other = find_contact_by_email(values["email"])
        if other is not None and other is not current:
            errors["email"] = f"Un contact existe déjà avec l'adresse {values['email']} ({other.full_name})."
    if not values["first_name"] and not values["last_name"]:
        errors["last_name"] = "Indiquez au moins le nom ou le prénom."
    values["organisation"] = None
    if data.organisation_id:
        values["organisation"] = db.session.get(Organisation, data.organisation_id)
        if values["organisation"] is None:
            errors["organisation_id"] = "Cette structure n'existe pas."
    if data.ambassador_status not in {s.value for s in AmbassadorStatus}:
        errors["ambassador_status"] = "Statut d'ambassadeur inconnu."
    if errors:
        raise PartnerValidationError(errors)
    values["sectors"] = taxonomy.by_codes(Sector, data.sectors)
    values["axes"] = taxonomy.by_codes(Axis, data.axes)
    values["first_name_key"] = search_key(values["first_name"])
    values["last_name_key"] = search_key(values["last_name"])
    return values


def save_contact(data: ContactInput, contact: Contact | None = None) -> Contact:
    values = _clean_contact(data, contact)
    creating = contact is None
    if contact is None:
        contact = Contact(ambassador_status=AmbassadorStatus.NONE.value)
        db.session.add(contact)
    target = contact
    with audit.track_changes("contact", target, CONTACT_AUDITED, creating=creating,
                             created=lambda: f"Contact créé : {target.full_name}", updated="Contact modifié"):
        for key, value in values.items():
            setattr(target, key, value)
        db.session.flush()
        if data.ambassador_status != target.ambassador_status:
            set_ambassador_status(target, data.ambassador_status)
    refresh_contact_words([contact.id])
    return contact


def delete_contact(contact: Contact) -> None:
    audit.record("delete", "contact", contact.id, f"Contact supprimé : {contact.full_name}")
    db.session.delete(contact)
    db.session.flush()


def set_ambassador_status(contact: Contact, status: str, on: date | None = None) -> Contact:
    new = AmbassadorStatus(status)
    previous = contact.ambassador_status
    if new.value == previous:
        return contact
    contact.ambassador_status = new.value
    contact.ambassador_since = on or date.today()
    audit.record(
        "ambassador", "contact", contact.id,
        f"Statut ambassadeur : {previous} → {new.value} le {contact.ambassador_since.isoformat()}",
        {"ambassador_status": [previous, new.value], "ambassador_since": contact.ambassador_since.isoformat()},
    )
    db.session.flush()
    return contact


def mark_kit_sent(contact: Contact, on: date | None = None) -> Contact:
    contact.kit_sent_on = on or date.today()
    audit.record("kit", "contact", contact.id, f"Kit de communication envoyé le {contact.kit_sent_on.isoformat()}")
    db.session.flush()
    return contact


def join_club(organisation: Organisation, joined_on: date) -> ClubMembership:
    if organisation.current_membership is not None:
        raise PartnerValidationError({"joined_on": "Cette structure est déjà membre du Club des Industriels."})
    membership = ClubMembership(organisation=organisation, joined_on=joined_on)
    db.session.add(membership)
    audit.record("club_join", "organisation", organisation.id,
                 f"Adhésion au Club des Industriels le {joined_on.isoformat()}")
    db.session.flush()
    return membership


def leave_club(membership: ClubMembership, left_on: date) -> ClubMembership:
    if left_on < membership.joined_on:
        raise PartnerValidationError({"left_on": "La date de sortie précède la date d'adhésion."})
    if membership.left_on is not None:
        raise PartnerValidationError({"left_on": "Cette adhésion est déjà terminée."})
    membership.left_on = left_on
    audit.record("club_leave", "organisation", membership.organisation_id,
                 f"Sortie du Club des Industriels le {left_on.isoformat()}")
    db.session.flush()
    return membership


def coalesce_club_memberships(organisation_id: int) -> list[dict[str, Any]]:
    """Periods of Club membership that overlap or touch become one (after two structures were merged, both may
    have been members). Returns, for the merge log, each period folded into another: the one kept, the one
    removed as it was, and the new end date of the one kept where it changed."""
    periods = list(db.session.scalars(sa.select(ClubMembership).where(
        ClubMembership.organisation_id == organisation_id).order_by(ClubMembership.joined_on, ClubMembership.id)))
    folded: list[dict[str, Any]] = []
    current: ClubMembership | None = None
    for period in periods:
        if current is None or (current.left_on is not None and period.joined_on > current.left_on):
            current = period
            continue
        changes = {}
        if current.left_on is not None and (period.left_on is None or period.left_on > current.left_on):
            current.left_on = period.left_on
            changes["left_on"] = period.left_on.isoformat() if period.left_on else None
        folded.append({"table": ClubMembership.__tablename__, "kept_row": {"id": current.id},
                       "dropped_row": {"id": period.id, "joined_on": period.joined_on.isoformat(),
                                       "left_on": period.left_on.isoformat() if period.left_on else None},
                       "kept_values_taken": changes})
        db.session.delete(period)
    db.session.flush()
    return folded


def add_note(body: str, kind: str = NoteKind.REMARK.value, *, contact: Contact | None = None,
             organisation: Organisation | None = None, author_id: int | None = None,
             occurred_at: datetime | None = None) -> Note:
    body = body.strip()
    if not body:
        raise PartnerValidationError({"body": "La note est vide."})
    if kind not in {k.value for k in NoteKind}:
        raise PartnerValidationError({"kind": "Type de note inconnu."})
    if contact is None and organisation is None:
        raise ValueError("a note needs a contact or an organisation")
    note = Note(body=body, kind=kind, contact=contact, organisation=organisation, author_id=author_id,
                occurred_at=occurred_at or utcnow())
    db.session.add(note)
    db.session.flush()
    return note


def complete_task(note: Note) -> Note:
    if note.done_at is None:
        note.done_at = utcnow()
        db.session.flush()
    return note
