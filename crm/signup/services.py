"""The public signup: one person one row, the ledger, double opt-in. Functions flush; callers commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from crm.audit import services as audit
from crm.consent import services as consent
from crm.consent.models import ConsentAction, OptInStatus
from crm.db import utcnow
from crm.errors import ValidationError
from crm.extensions import db
from crm.partners import services as partners
from crm.partners import taxonomy
from crm.partners.models import Contact, Organisation, Sector
from crm.forms import InvalidEmail, normalize_email, untranslated
from crm.partners.normalize import InvalidSiret, normalize_siret
from crm.partners.services import ContactInput, PartnerValidationError
from crm.partners.territory import InvalidPostalCode, locate
from crm.signup import inbox, mails, proposals
from crm.signup.models import RequestKind, Signup, SignupRequest, french_labels
from crm.signup.wording import CONSENT_TEXT, CONSENT_VERSION

# Which topics a confirmed request subscribes to.
REQUEST_TOPICS = {RequestKind.NEWSLETTER.value: "lettre", RequestKind.JOIN.value: "evenements"}


class SignupError(ValidationError):
    """Field -> French message; nothing has been written when it is raised."""


class LinkAlreadyUsed(ValueError):
    """A confirmation link with nothing left to confirm (replayed, or older than the last signup)."""


@dataclass
class SignupInput:
    organisation_name: str
    postal_code: str
    first_name: str
    last_name: str
    email: str
    consent: bool
    requests: list[str] = field(default_factory=list)
    siret: str = ""
    sector: str = ""
    commune: str = ""
    phone: str = ""
    job_title: str = ""
    axes: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    message: str = ""
    ip: str | None = None


@dataclass
class _Clean:
    email: str
    siret: str | None
    postal_code: str
    requests: list[str]


def _validate(data: SignupInput) -> _Clean:
    errors: dict[str, str] = {}
    email = siret = postal_code = ""
    if not data.consent:
        errors["consent"] = "Cochez la case de consentement pour que nous puissions traiter votre demande."
    try:
        email = normalize_email(data.email)
    except InvalidEmail as exc:
        errors["email"] = str(exc)
    try:
        siret = normalize_siret(data.siret) or ""
    except InvalidSiret as exc:
        errors["siret"] = str(exc)
    try:
        postal_code = locate(data.postal_code).postal_code
    except InvalidPostalCode as exc:
        errors["postal_code"] = str(exc)
    if data.sector and not taxonomy.by_codes(Sector, [data.sector]):
        errors["sector"] = "Filière inconnue."
    if not data.organisation_name.strip():
        errors["organisation_name"] = "Indiquez le nom de votre structure."
    if not data.first_name.strip() and not data.last_name.strip():
        errors["last_name"] = "Indiquez votre nom."
    requests = [kind.value for kind in RequestKind if kind.value in set(data.requests)]
    if not requests:
        errors["requests"] = "Choisissez au moins une demande."
    if errors:
        raise SignupError(errors)
    return _Clean(email=email, siret=siret or None, postal_code=postal_code, requests=requests)


def validation_errors(data: SignupInput) -> dict[str, str]:
    """Every problem with the input at once (nothing is written), to show them all on the first try."""
    try:
        _validate(data)
    except SignupError as exc:
        return exc.errors
    return {}


def _new_contact(data: SignupInput, clean: _Clean, organisation: Organisation) -> Contact:
    return partners.save_contact(ContactInput(
        email=clean.email, first_name=data.first_name, last_name=data.last_name, phone=data.phone,
        job_title=data.job_title, organisation_id=organisation.id, sectors=data.sectors, axes=data.axes))


def _as_proposed(data: SignupInput, clean: _Clean) -> ContactInput:
    return ContactInput(email=clean.email, first_name=data.first_name, last_name=data.last_name, phone=data.phone,
                        job_title=data.job_title, sectors=data.sectors, axes=data.axes)


def submit(data: SignupInput) -> Signup:
    """Record a signup and queue its confirmation mail; raises ``SignupError`` before writing anything.

    A new address makes a new contact (and a new organisation when the one named is unknown), pending until
    confirmed. A known contact and a known organisation are never written: what the form says differently is kept
    on the signup as proposed changes, for an editor to apply or not (crm.signup.proposals)."""
    clean = _validate(data)
    named = proposals.NamedOrganisation(name=data.organisation_name.strip(), postal_code=clean.postal_code,
                                        siret=clean.siret, commune=data.commune.strip(), sector=data.sector)
    match = proposals.find_organisation(named)
    contact = partners.find_contact_by_email(clean.email)
    new_contact = contact is None
    new_organisation = False
    if contact is None:
        organisation = match
        try:
            if organisation is None:
                organisation, new_organisation = proposals.create_organisation(named), True
            contact = _new_contact(data, clean, organisation)
        except PartnerValidationError as exc:  # the caller rolls back
            raise SignupError(exc.errors) from exc
        changes = proposals.propose(contact, None, named, match)
    else:
        organisation = contact.organisation
        changes = proposals.propose(contact, _as_proposed(data, clean), named, match)
    subscription = consent.subscription_of(contact)
    previous = subscription.status
    if previous != OptInStatus.CONFIRMED.value:
        consent.set_status(contact, OptInStatus.PENDING)
    signup = Signup(contact_id=contact.id, organisation_id=organisation.id if organisation else None,
                    message=data.message.strip(), wording_version=CONSENT_VERSION, created_contact=new_contact,
                    created_organisation=new_organisation, previous_status=previous, ip=data.ip)
    signup.requests = [SignupRequest(contact_id=contact.id, kind=kind) for kind in clean.requests]
    signup.changes = changes
    db.session.add(signup)
    consent.record(contact, ConsentAction.SUBSCRIBE, kind="signup", source="form",
                   wording_version=CONSENT_VERSION, wording=CONSENT_TEXT, ip=data.ip,
                   detail=", ".join(clean.requests))
    db.session.flush()
    summary = "Inscription par le formulaire public : " + ", ".join(french_labels(clean.requests))
    if changes:
        summary += " ; modifications proposées : " + ", ".join(
            untranslated(proposals.FIELD_LABELS[c.field]).lower() for c in changes)
    audit.record("signup", "contact", contact.id, summary)
    mails.send_confirmation(contact)
    return signup


def unconfirmed_signups(contact: Contact, issued_before: datetime | None = None) -> list[Signup]:
    stmt = sa.select(Signup).where(Signup.contact_id == contact.id, Signup.confirmed_at.is_(None))
    if issued_before is not None:
        # A token is stamped to the second; a signup belongs to it if made at most a second later.
        stmt = stmt.where(Signup.created_at < issued_before + timedelta(seconds=1))
    return list(db.session.scalars(stmt.order_by(Signup.id)))


def confirm(contact: Contact, issued_at: datetime, ip: str | None = None) -> list[Signup]:
    """The POST behind the confirmation link: confirms every signup the link was made for."""
    signups = unconfirmed_signups(contact, issued_at)
    if not signups or not contact.email:
        raise LinkAlreadyUsed("Ce lien de confirmation a déjà été utilisé ou ne correspond à aucune demande.")
    now = utcnow()
    if consent.subscription_of(contact).status != OptInStatus.CONFIRMED.value:
        consent.set_status(contact, OptInStatus.CONFIRMED)
    consent.unsuppress(contact.email)
    kinds: list[str] = []
    for signup in signups:
        signup.confirmed_at = now
        consent.record(contact, ConsentAction.CONFIRM, kind="signup", source="email_link",
                       wording_version=signup.wording_version, ip=ip, detail=f"inscription n° {signup.id}")
        kinds += [request.kind for request in signup.requests]
    topics = {REQUEST_TOPICS[k] for k in kinds if k in REQUEST_TOPICS}
    if topics - consent.topic_codes(contact):
        consent.set_topics(contact, consent.topic_codes(contact) | topics)
    for signup in signups:
        for request in signup.requests:
            inbox.activate(request, contact, signup)
    audit.record("signup_confirm", "contact", contact.id, "Adresse e-mail confirmée (double opt-in)")
    db.session.flush()
    mails.send_welcome(contact, signups[0])
    return signups


def send_preferences_link(email: str) -> bool:
    """Mail a new link to the preference page; says nothing about whether the address is known."""
    try:
        address = normalize_email(email)
    except InvalidEmail:
        return False
    contact = partners.find_contact_by_email(address)
    if contact is None:
        return False
    return mails.send_preferences_link(contact)


def resend_confirmation(email: str) -> bool:
    """Ask again for the confirmation mail; says nothing about whether the address is known."""
    try:
        address = normalize_email(email)
    except InvalidEmail:
        return False
    contact = partners.find_contact_by_email(address)
    if contact is None:
        return False
    if not unconfirmed_signups(contact):
        return False
    return mails.send_confirmation(contact)
