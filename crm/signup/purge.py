"""Unconfirmed signups do not stay: after a delay they are removed, with what they alone created."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from crm.audit import services as audit
from crm.consent import services as consent
from crm.consent.models import ConsentAction, ConsentRecord, OptInStatus, Subscription, contact_topics
from crm.db import utcnow
from crm.extensions import db
from crm.partners.models import Contact, Organisation
from crm.signup.models import Signup, SignupChange


def _delete_contact(contact: Contact) -> None:
    """A contact that only ever was an unconfirmed signup: its ledger goes with it (no consent was given).

    Dependents are deleted explicitly: SQLite does not enforce ON DELETE CASCADE without its pragma.
    """
    db.session.execute(sa.delete(ConsentRecord).where(ConsentRecord.contact_id == contact.id))
    db.session.execute(sa.delete(contact_topics).where(contact_topics.c.contact_id == contact.id))
    db.session.execute(sa.delete(Subscription).where(Subscription.contact_id == contact.id))
    db.session.delete(contact)


def _has_other_signups(contact_id: int, excluded: set[int]) -> bool:
    stmt = sa.select(sa.exists().where(Signup.contact_id == contact_id, Signup.id.not_in(excluded)))
    return bool(db.session.scalar(stmt))


def purge_unconfirmed(days: int) -> int:
    """Delete signups left unconfirmed for ``days`` days; returns how many. Flushes; the caller commits.

    A signup never wrote on a contact or an organisation it did not create: what it proposed for them goes with
    it (``Signup.changes``), so for a known contact only the consent state has to go back."""
    cutoff = utcnow() - timedelta(days=days)
    stale = list(db.session.scalars(sa.select(Signup).where(Signup.confirmed_at.is_(None),
                                                            Signup.created_at < cutoff).order_by(Signup.id)))
    by_contact: dict[int, list[Signup]] = {}
    for signup in stale:
        by_contact.setdefault(signup.contact_id, []).append(signup)
    for contact_id, signups in by_contact.items():
        contact = db.session.get(Contact, contact_id)
        ids = {s.id for s in signups}
        organisations = {s.organisation_id for s in signups if s.created_organisation and s.organisation_id}
        for signup in signups:
            db.session.delete(signup)
        db.session.flush()
        if contact is None:
            continue
        subscription = consent.subscription_of(contact)
        created_here = any(s.created_contact for s in signups)
        if created_here and not _has_other_signups(contact_id, ids) \
                and subscription.status == OptInStatus.PENDING.value:
            audit.record("signup_purge", "contact", contact_id, "Inscription non confirmée : contact supprimé")
            _delete_contact(contact)
        elif subscription.status == OptInStatus.PENDING.value and not _has_other_signups(contact_id, ids):
            consent.set_status(contact, OptInStatus(min(signups, key=lambda s: s.id).previous_status))
            consent.record(contact, ConsentAction.EXPIRE, kind="signup", source="scheduler",
                           detail="inscription non confirmée dans le délai")
        db.session.flush()
        for organisation_id in organisations:
            organisation = db.session.get(Organisation, organisation_id)
            if organisation is not None and not _org_in_use(organisation_id):
                db.session.delete(organisation)
        db.session.flush()
    return len(stale)


def _org_in_use(organisation_id: int) -> bool:
    """Still someone's organisation, a signup's, or the one a proposed change names (another person's signup)."""
    used = sa.or_(sa.exists().where(Signup.organisation_id == organisation_id),
                  sa.exists().where(Contact.organisation_id == organisation_id),
                  sa.exists().where(SignupChange.organisation_id == organisation_id))
    return bool(db.session.scalar(sa.select(used)))
