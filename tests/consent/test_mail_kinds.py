"""The one rule for who may receive what (crm.consent.mail_kinds), over every kind of mail the features declare."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from crm import create_app
from crm.consent.mail_kinds import Category, all_kinds, may_receive, still_received
from crm.consent.models import SuppressionReason
from crm.consent.services import suppress
from crm.extensions import db
from crm.mail import claims, pipeline
from crm.mail.models import Delivery
from crm.signup import preferences
from tests.factories import sending_letter, subscriber

EXCLUDED = "destinataire exclu"


def _declared() -> dict[str, Category]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    with app.app_context():
        return {code: kind.category for code, kind in all_kinds().items()}


KINDS = _declared()
REFUSABLE = {code for code, category in KINDS.items() if category in (Category.NEWSLETTER, Category.REFUSABLE)}


def test_every_feature_declares_its_kinds() -> None:
    assert {"campaign", "invitation", "event_update", "event_cancel", "reminder"} <= REFUSABLE
    assert {"signup_confirm", "signup_welcome", "signup_kit", "rsvp_confirmation", "registration_update",
            "registration_cancel"} <= set(KINDS) - REFUSABLE


def _status_and_error(key: str) -> tuple[str, str]:
    row = db.session.execute(sa.select(Delivery.status, Delivery.last_error).where(Delivery.dedupe_key == key)).one()
    return row.status, row.last_error or ""


@pytest.mark.parametrize("code", sorted(KINDS))
def test_an_unsubscribed_person_gets_no_refusable_mail_of_any_kind(app, outbox, code: str) -> None:
    staying = subscriber("reste@example.org", "Reste", "Abonnée", topics=("lettre", "evenements", "club"))
    leaving = subscriber("part@example.org", "Part", "Désabonnée", topics=("lettre", "evenements", "club"))
    assert preferences.unsubscribe(leaving, "one_click")
    db.session.commit()
    # Before the unsubscribe both could; after it, only the kinds about the person's own action still reach her.
    assert may_receive(staying, code)
    assert may_receive(leaving, code) is (code not in REFUSABLE)
    # At send time too, whatever queued the mail: the pipeline itself applies the rule.
    letter = None
    if code == "campaign":  # a letter's mail belongs to a letter being sent
        letter = sending_letter()
    for contact in (staying, leaving):
        claims.queue_delivery(code, f"t:{code}:{contact.id}", contact_id=contact.id,
                              campaign_id=letter.id if letter else None)
    db.session.commit()
    pipeline.send_due()
    status, error = _status_and_error(f"t:{code}:{leaving.id}")
    if code in REFUSABLE:
        assert status == "skipped" and error.startswith(EXCLUDED)
    else:
        assert not error.startswith(EXCLUDED)
    assert not _status_and_error(f"t:{code}:{staying.id}")[1].startswith(EXCLUDED)
    assert "part@example.org" not in {r for m in outbox for r in m.recipients} or code not in REFUSABLE


@pytest.mark.parametrize("reason", [SuppressionReason.HARD_BOUNCE, SuppressionReason.COMPLAINT,
                                    SuppressionReason.MANUAL])
def test_a_bounce_a_complaint_or_a_manual_block_stops_every_kind(app, reason: SuppressionReason) -> None:
    blocked = subscriber("bloque@example.org", topics=("lettre", "evenements"))
    suppress(blocked.email, reason)
    db.session.commit()
    assert not any(may_receive(blocked, code) for code in KINDS)
    assert not any(may_receive(blocked.email, code) for code in KINDS)


def test_erasure_stops_all_but_the_answer_to_a_new_request(app) -> None:
    again = subscriber("revenu@example.org", topics=("lettre", "evenements"))
    suppress(again.email, SuppressionReason.ERASURE)
    db.session.commit()
    # The answers to a request the person makes again: a confirmation link, a link to manage their subscription.
    assert {code for code in KINDS if may_receive(again, code)} == {"signup_confirm", "signup_preferences_link"}


def test_a_topic_left_out_on_the_preference_page_is_refused_and_never_chosen_is_not(app) -> None:
    never_asked = subscriber("jamais@example.org", status="none", topics=())
    chose = subscriber("choisi@example.org", topics=("lettre",))
    assert preferences.update_topics(chose, {"lettre"} | {"club"})  # invitations unticked on the page
    db.session.commit()
    assert may_receive(never_asked, "invitation")  # the team may invite a partner who never chose anything
    assert not may_receive(never_asked, "campaign")  # the newsletter needs a confirmed subscription
    assert not may_receive(chose, "invitation") and not may_receive(chose, "reminder")
    assert may_receive(chose, "campaign") and may_receive(chose, "rsvp_confirmation")
    assert preferences.update_topics(chose, {"lettre", "evenements"})
    db.session.commit()
    assert may_receive(chose, "invitation")


def test_the_unsubscribe_page_promises_exactly_what_the_rule_lets_through(app, client) -> None:
    from crm.signup import links

    contact = subscriber("promesse@example.org", topics=("lettre", "evenements"))
    db.session.commit()
    page = html.unescape(client.get(links.unsubscribe_url(contact).replace("http://localhost", ""))
                         .get_data(as_text=True))
    promises = still_received()
    assert promises and all(str(promise) in page for promise in promises)
    for kind in all_kinds().values():
        if kind.category in (Category.NEWSLETTER, Category.REFUSABLE):
            assert str(kind.label) in page


def test_an_address_unsubscribed_before_stays_so_when_the_team_adds_it_again(app) -> None:
    """The suppression list holds the address: a contact made again for it (an import) inherits the refusal."""
    readded = subscriber("revenant@example.org", status="none", topics=())
    suppress(readded.email, SuppressionReason.UNSUBSCRIBE)
    db.session.commit()
    assert {code for code in KINDS if may_receive(readded, code)} == set(KINDS) - REFUSABLE


def test_each_letter_is_checked_against_its_own_topic_at_send_time(app) -> None:
    """A letter goes to the subscribers of its topic: two letters on two topics in one batch, one reader of each."""
    club_reader = subscriber("club@example.org", topics=("club",))
    letter_reader = subscriber("lettre@example.org", topics=("lettre",))
    letters = {}
    for topic in ("lettre", "club"):
        letters[topic] = sending_letter(subject=f"Lettre {topic}", topic=topic)
    db.session.commit()
    for topic, letter in letters.items():
        for reader in (club_reader, letter_reader):
            claims.queue_delivery("campaign", f"c:{topic}:{reader.id}", contact_id=reader.id, campaign_id=letter.id)
    db.session.commit()
    pipeline.send_due()
    status = {key: _status_and_error(key)[0] for key in (f"c:{t}:{r.id}" for t in letters
                                                        for r in (club_reader, letter_reader))}
    assert status == {f"c:lettre:{club_reader.id}": "skipped", f"c:lettre:{letter_reader.id}": "sent",
                      f"c:club:{club_reader.id}": "sent", f"c:club:{letter_reader.id}": "skipped"}
