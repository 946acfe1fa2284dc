"""Consent ledger, subscription state and suppression list. Functions flush; callers commit."""

from __future__ import annotations

import sqlalchemy as sa

from crm.forms import email_hash
from crm.forms import reference_label as N_

from crm.consent.models import (
    ConsentAction,
    ConsentRecord,
    OptInStatus,
    Subscription,
    Suppression,
    SuppressionReason,
    Topic,
    contact_topics,
)
from crm.db import utcnow
from crm.extensions import db
from crm.partners.models import Contact

# Shipped by the migrations as well as by `flask taxonomy load`: a new topic needs a data migration too.
TOPICS = [
    ("lettre", N_("Lettre d'information"), N_("La lettre d'information Territoires d'industrie.")),
    ("evenements", N_("Invitations aux événements"), N_("Comités techniques, rencontres, ateliers, visites.")),
    ("club", N_("Actualités du Club des Industriels"), N_("Les nouvelles et rendez-vous du Club.")),
]


def load_topics() -> int:
    existing = set(db.session.scalars(sa.select(Topic.code)))
    added = 0
    for position, (code, label, description) in enumerate(TOPICS):
        if code not in existing:
            db.session.add(Topic(code=code, label=label, description=description, position=position))
            added += 1
    db.session.flush()
    return added


def all_topics() -> list[Topic]:
    return list(db.session.scalars(sa.select(Topic).order_by(Topic.position)))


def record(contact: Contact, action: ConsentAction | str, *, kind: str = "newsletter", source: str,
           wording_version: str = "", wording: str = "", ip: str | None = None, detail: str = "") -> ConsentRecord:
    entry = ConsentRecord(contact_id=contact.id, kind=kind, action=str(action), source=source,
                          wording_version=wording_version, wording=wording, ip=ip, detail=detail[:300])
    db.session.add(entry)
    db.session.flush()
    return entry


def history(contact: Contact) -> list[ConsentRecord]:
    stmt = sa.select(ConsentRecord).where(ConsentRecord.contact_id == contact.id)
    return list(db.session.scalars(stmt.order_by(ConsentRecord.at, ConsentRecord.id)))


def subscription_of(contact: Contact) -> Subscription:
    subscription = db.session.get(Subscription, contact.id)
    if subscription is None:
        subscription = Subscription(contact_id=contact.id, status=OptInStatus.NONE.value)
        db.session.add(subscription)
        db.session.flush()
    return subscription


def set_status(contact: Contact, status: OptInStatus) -> Subscription:
    subscription = subscription_of(contact)
    now = utcnow()
    subscription.status = status.value
    if status is OptInStatus.PENDING:
        subscription.requested_at = now
    elif status is OptInStatus.CONFIRMED:
        subscription.confirmed_at = now
        subscription.unsubscribed_at = None
    elif status is OptInStatus.UNSUBSCRIBED:
        subscription.unsubscribed_at = now
    db.session.flush()
    return subscription


def topic_codes(contact: Contact) -> set[str]:
    stmt = (sa.select(Topic.code).join(contact_topics, contact_topics.c.topic_id == Topic.id)
            .where(contact_topics.c.contact_id == contact.id))
    return set(db.session.scalars(stmt))


def set_topics(contact: Contact, codes: set[str]) -> None:
    """The contact's topics become exactly those of ``codes`` that exist; a code with no row is ignored (reference
    data not loaded, a topic removed since the link was sent)."""
    db.session.execute(sa.delete(contact_topics).where(contact_topics.c.contact_id == contact.id))
    ids = db.session.scalars(sa.select(Topic.id).where(Topic.code.in_(codes))).all() if codes else []
    if ids:  # an empty list of rows would be an INSERT with no values
        db.session.execute(sa.insert(contact_topics), [{"contact_id": contact.id, "topic_id": i} for i in ids])
    db.session.flush()


def suppress(email: str, reason: SuppressionReason, detail: str = "") -> Suppression:
    digest = email_hash(email)
    existing = db.session.scalar(sa.select(Suppression).where(Suppression.email_hash == digest))
    if existing is not None:
        return existing
    entry = Suppression(email_hash=digest, reason=reason.value, detail=detail[:300])
    db.session.add(entry)
    db.session.flush()
    return entry


# A fresh, confirmed double opt-in lifts these: the person has come back and said yes again. Bounces and
# complaints are about the address or the person's mail provider, and are lifted by hand only.
LIFTED_BY_CONFIRMED_OPT_IN = (SuppressionReason.UNSUBSCRIBE.value, SuppressionReason.ERASURE.value)


def unsuppress(email: str) -> bool:
    """Only for a fresh, confirmed opt-in (the confirmation link or the preferences page)."""
    result = db.session.execute(
        sa.delete(Suppression).where(Suppression.email_hash == email_hash(email),
                                     Suppression.reason.in_(LIFTED_BY_CONFIRMED_OPT_IN))
    )
    db.session.flush()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def is_suppressed(email: str | None) -> bool:
    if not email:
        return True
    return db.session.scalar(sa.select(sa.exists().where(Suppression.email_hash == email_hash(email)))) or False


def subscribers_with_status(status: OptInStatus) -> int:
    """How many people are in that double opt-in state (the dashboard's figures)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)
                             .where(Subscription.status == status.value)) or 0
