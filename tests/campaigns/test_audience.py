"""The audience is materialised in one statement, once, and never includes a suppressed address."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from crm.campaigns import audience, services
from crm.consent.models import SuppressionReason
from crm.consent.services import email_hash, suppress
from crm.extensions import db
from crm.mail.models import Delivery
from crm.partners.models import Contact, Organisation
from crm.segments.services import SegmentCriteria, save_segment
from tests.factories import campaign, subscriber


def test_contact_email_hash_follows_the_email(app: Flask) -> None:
    contact = subscriber("First@Example.org", "F", "L")
    assert contact.email_hash == email_hash("First@Example.org")
    contact.email = "second@example.org"
    db.session.flush()
    assert db.session.scalar(sa.select(Contact.email_hash).where(Contact.id == contact.id)) == email_hash(
        "second@example.org")
    contact.email = None  # erasure
    assert contact.email_hash is None


def test_materialisation_is_exact_and_idempotent(app: Flask) -> None:
    orne = Organisation(name="Orne SA", name_key="orne sa", department="61", region="Normandie")
    db.session.add(orne)
    subscriber("in@example.org", "I", "N", organisation=orne)
    subscriber("out-of-segment@example.org", "O", "S")
    subscriber("suppressed@example.org", "S", "P", organisation=orne)
    suppress("suppressed@example.org", SuppressionReason.COMPLAINT)
    segment = save_segment("Orne", "", SegmentCriteria(department="61"))
    item = campaign(segment_id=segment.id, schedule=False)
    assert audience.count(item) == 1
    assert audience.materialise(item) == 1
    assert audience.materialise(item) == 0  # the unique dedupe key: nobody twice
    db.session.commit()
    keys = db.session.scalars(sa.select(Delivery.dedupe_key)).all()
    contact_id = db.session.scalar(sa.select(Contact.id).where(Contact.email == "in@example.org"))
    assert keys == [f"campaign:{item.id}:contact:{contact_id}"]


def test_two_ticks_start_a_campaign_once(app: Flask) -> None:
    subscriber("a@example.org", "A", "A")
    item = campaign()
    assert services.start_due() == [item.id]
    assert services.start_due() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 1
