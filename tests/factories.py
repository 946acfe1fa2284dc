"""Fictional people and letters for every test: one place that makes a contact."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from crm.campaigns import services as campaigns
from crm.campaigns.models import Campaign
from crm.consent.models import OptInStatus, Subscription, Topic, contact_topics
from crm.forms import email_hash
from crm.db import utcnow
from crm.extensions import db
from crm.partners.models import Contact, Organisation
from crm.partners.normalize import search_key


def topic_id(code: str = "lettre") -> int:
    return db.session.scalar(sa.select(Topic.id).where(Topic.code == code))


def contact(email: str, first_name: str = "", last_name: str = "", *, organisation: Organisation | None = None,
            **fields: Any) -> Contact:
    """A contact as the team would enter it (no subscription, no consent). Flushes."""
    person = Contact(email=email, first_name=first_name, last_name=last_name,
                     first_name_key=search_key(first_name), last_name_key=search_key(last_name),
                     organisation=organisation, **fields)
    db.session.add(person)
    db.session.flush()
    return person


def subscriber(email: str, first_name: str = "", last_name: str = "", *, status: str = "confirmed",
               topics: Iterable[str] = ("lettre",), organisation: Organisation | None = None,
               **fields: Any) -> Contact:
    """A contact with a subscription in ``status`` and the ``topics`` chosen. Flushes."""
    contact = globals()["contact"](email, first_name, last_name, organisation=organisation, **fields)
    db.session.add(Subscription(contact_id=contact.id, status=status))
    for code in topics:
        db.session.execute(sa.insert(contact_topics).values(contact_id=contact.id, topic_id=topic_id(code)))
    db.session.flush()
    return contact


def bulk_subscribers(count: int, prefix: str = "abonne") -> None:
    """Many confirmed subscribers of the lettre, inserted in a few statements (no ORM objects)."""
    now = utcnow()
    start = (db.session.scalar(sa.select(sa.func.max(Contact.id))) or 0) + 1
    rows = [{"id": start + i, "email": f"{prefix}{i}@example.org", "email_hash": email_hash(f"{prefix}{i}@example.org"),
             "first_name": f"Prénom{i}", "last_name": f"Nom{i}", "first_name_key": f"prenom{i}",
             "last_name_key": f"nom{i}", "created_at": now, "updated_at": now} for i in range(count)]
    db.session.execute(sa.insert(Contact), rows)
    db.session.execute(sa.insert(Subscription), [{"contact_id": row["id"], "status": OptInStatus.CONFIRMED.value,
                                                  "updated_at": now} for row in rows])
    lettre = topic_id("lettre")
    db.session.execute(sa.insert(contact_topics), [{"contact_id": row["id"], "topic_id": lettre} for row in rows])
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('contacts', 'id'), "
                                   "(SELECT max(id) FROM contacts))"))
    db.session.flush()


def campaign(subject: str = "Lettre n°1", body: str = "Bonjour {{prenom}},\n\nDes nouvelles.", *,
             segment_id: int | None = None, topic: str = "lettre", schedule: bool = True) -> Campaign:
    item = campaigns.save_campaign(campaigns.CampaignInput(subject=subject, body_markdown=body, topic=topic,
                                                           segment_id=segment_id))
    if schedule:
        campaigns.schedule(item)
    db.session.commit()
    return item


def sending_letter(**fields: Any) -> Campaign:
    """A letter already being sent (its deliveries are claimable), for tests that queue them by hand."""
    item = campaign(schedule=False, **fields)
    item.status = "sending"
    db.session.commit()
    return item


def sent_to(email: str, *, days_ago: float = 0, kind: str = "campaign") -> Any:
    """A mail we sent to ``email`` (a contact made if none has it) ``days_ago`` days ago, with its Message-ID:
    what a bounce report must be tied to before it applies. Flushes."""
    from datetime import timedelta
    from email.utils import make_msgid

    from crm.mail.models import Delivery

    person = db.session.scalar(sa.select(Contact).where(Contact.email == email)) or contact(email)
    sent_at = utcnow() - timedelta(days=days_ago)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) or 0
    delivery = Delivery(kind=kind, contact_id=person.id, dedupe_key=f"test-sent:{person.id}:{count}", status="sent",
                        attempts=1, message_id=make_msgid(domain="example.org"), sent_at=sent_at, created_at=sent_at)
    db.session.add(delivery)
    db.session.flush()
    return delivery
