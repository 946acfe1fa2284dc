"""After an erasure no mail of any kind reaches the address; a new signup starts over with double opt-in."""

from __future__ import annotations

import sqlalchemy as sa

from crm.consent.models import OptInStatus
from crm.consent.services import is_suppressed, subscription_of
from crm.extensions import db
from crm.mail import claims, pipeline
from crm.partners.models import Contact
from crm.privacy.erasure import erase_contact
from crm.signup import services as signup
from tests.privacy import people


EMAIL = "octavie.revenante@example.org"


def _signup(message: str = "") -> object:
    return signup.submit(signup.SignupInput(
        organisation_name="Tôlerie Fictive du Perche", postal_code="61000", commune="Alençon", first_name="Octavie",
        last_name="Revenante", email=EMAIL, consent=True, requests=["newsletter", "project"], phone="02 33 44 55 66",
        message=message, ip="198.51.100.7"))


def test_signed_up_person_is_erased_everywhere_and_gets_no_mail(app, outbox) -> None:
    made = _signup("Je m'appelle Octavie Revenante, rappelez-moi au 02 33 44 55 66.")
    db.session.commit()
    contact = db.session.get(Contact, made.contact_id)
    signup.confirm(contact, made.created_at)
    db.session.commit()
    assert len(outbox) == 2  # confirmation, then welcome
    event = people.make_event("Rencontre du Club (test)")
    contact_id = contact.id
    erase_contact(contact)
    db.session.commit()
    assert people.text_occurrences(["Octavie", "Revenante", EMAIL, "02 33 44 55 66", "0233445566"]) == []
    assert is_suppressed(EMAIL)

    # Whatever is queued for the erased person afterwards (newsletter, invitation) is skipped, never sent.
    for kind, key in [("campaign", "test:campaign"), ("invitation", "test:invitation")]:
        claims.queue_delivery(kind, f"{key}:{contact_id}", contact_id=contact_id, source_id=event)
    db.session.commit()
    report = pipeline.send_due()
    db.session.commit()
    assert report.sent == 0 and report.skipped == 2
    assert all(EMAIL not in (m.recipients or []) for m in outbox[2:]) and len(outbox) == 2


def test_new_signup_after_erasure_starts_over_with_double_opt_in(app, outbox) -> None:
    first = _signup()
    db.session.commit()
    old = db.session.get(Contact, first.contact_id)
    signup.confirm(old, first.created_at)
    db.session.commit()
    old_id = old.id
    erase_contact(old)
    db.session.commit()
    del outbox[:]

    again = _signup()
    db.session.commit()
    new = db.session.get(Contact, again.contact_id)
    assert new.id != old_id and new.email == EMAIL
    assert subscription_of(new).status == OptInStatus.PENDING.value
    assert len(outbox) == 1 and EMAIL in outbox[0].recipients[0]
    assert "Confirmez" in outbox[0].subject
    # Nothing but the confirmation before the person confirms: the newsletter's audience leaves them out.
    from crm.campaigns import audience
    from crm.campaigns.models import Campaign
    from crm.consent.models import Topic

    topic_id = db.session.scalar(sa.select(Topic.id).where(Topic.code == "lettre"))
    assert audience.count(Campaign(subject="Lettre de test", topic_id=topic_id)) == 0
    assert len(outbox) == 1
    assert db.session.get(Contact, old_id).email is None  # the erased record stays erased
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact).where(Contact.email == EMAIL)) == 1

    # Once they confirm this fresh signup, they are a subscriber again and the newsletter reaches them.
    assert is_suppressed(EMAIL)
    signup.confirm(new, again.created_at)
    db.session.commit()
    assert not is_suppressed(EMAIL)
    assert audience.count(Campaign(subject="Lettre de test", topic_id=topic_id)) == 1
