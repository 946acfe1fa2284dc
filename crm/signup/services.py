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
from crm.forms import InvalidEmail, normalize_email
from crm.partners.normalize import InvalidSiret, normalize_siret, search_key
from crm.partners.services import ContactInput, OrganisationInput, PartnerValidationError
from crm.partners.territory import InvalidPostalCode, locate
from crm.signup import inbox, mails
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


def _find_organisation(name: str, siret: str | None, postal_code: str) -> Organisation | None:
    if siret:
        found = partners.find_organisation_by_siret(siret)
        if found is not None:
            return found
    stmt = sa.select(Organisation).where(Organisation.name_key == search_key(name),
                                         Organisation.postal_code == postal_code).order_by(Organisation.id)
    for candidate in db.session.scalars(stmt):
        if not siret or candidate.siret in (None, siret):
            return candidate
    return None


def _save_organisation(data: SignupInput, clean: _Clean) -> tuple[Organisation, bool]:
    organisation = _find_organisation(data.organisation_name, clean.siret, clean.postal_code)
    sectors = [data.sector] if data.sector else []
    if organisation is None:
        created = partners.save_organisation(OrganisationInput(
            name=data.organisation_name, siret=clean.siret or "", sectors=sectors,
            postal_code=clean.postal_code, commune=data.commune))
        return created, True
    # Known organisation: fill what was missing, never erase what the team entered.
    merged = OrganisationInput(
        name=organisation.name, kind=organisation.kind.code if organisation.kind else "",
        sectors=sorted({s.code for s in organisation.sectors} | set(sectors)),
        naf_code=organisation.naf_code or "", siret=organisation.siret or clean.siret or "",
        headcount_band=organisation.headcount_band or "", address=organisation.address,
        postal_code=organisation.postal_code or clean.postal_code,
        commune=organisation.commune or data.commune, website=organisation.website)
    return partners.save_organisation(merged, organisation), False


def _save_contact(data: SignupInput, clean: _Clean, organisation: Organisation) -> tuple[Contact, bool]:
    contact = partners.find_contact_by_email(clean.email)
    if contact is None:
        created = partners.save_contact(ContactInput(
            email=clean.email, first_name=data.first_name, last_name=data.last_name, phone=data.phone,
            job_title=data.job_title, organisation_id=organisation.id, sectors=data.sectors, axes=data.axes))
        return created, True
    merged = ContactInput(
        email=clean.email, first_name=data.first_name.strip() or contact.first_name,
        last_name=data.last_name.strip() or contact.last_name, civility=contact.civility,
        phone=data.phone.strip() or contact.phone, job_title=data.job_title.strip() or contact.job_title,
        organisation_id=organisation.id,
        sectors=sorted({s.code for s in contact.sectors} | set(data.sectors)),
        axes=sorted({a.code for a in contact.axes} | set(data.axes)),
        ambassador_status=contact.ambassador_status, kit_sent_on=contact.kit_sent_on, language=contact.language)
    return partners.save_contact(merged, contact), False


def submit(data: SignupInput) -> Signup:
    """Record a signup and queue its confirmation mail; raises ``SignupError`` before writing anything."""
    clean = _validate(data)
    try:
        organisation, new_organisation = _save_organisation(data, clean)
        contact, new_contact = _save_contact(data, clean, organisation)
    except PartnerValidationError as exc:  # the caller rolls back
        raise SignupError(exc.errors) from exc
    subscription = consent.subscription_of(contact)
    previous = subscription.status
    if previous != OptInStatus.CONFIRMED.value:
        consent.set_status(contact, OptInStatus.PENDING)
    signup = Signup(contact_id=contact.id, organisation_id=organisation.id, message=data.message.strip(),
                    wording_version=CONSENT_VERSION, created_contact=new_contact,
                    created_organisation=new_organisation, previous_status=previous, ip=data.ip)
    signup.requests = [SignupRequest(contact_id=contact.id, kind=kind) for kind in clean.requests]
    db.session.add(signup)
    consent.record(contact, ConsentAction.SUBSCRIBE, kind="signup", source="form",
                   wording_version=CONSENT_VERSION, wording=CONSENT_TEXT, ip=data.ip,
                   detail=", ".join(clean.requests))
    db.session.flush()
    labels = french_labels(clean.requests)
    audit.record("signup", "contact", contact.id, "Inscription par le formulaire public : " + ", ".join(labels))
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
