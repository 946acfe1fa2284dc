"""Promises the suite holds (issue "Trust", point 19): each test fails when the promise is broken."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from crm.consent import services as consent
from crm.consent.mail_kinds import all_kinds
from crm.consent.models import ConsentAction, ConsentRecord, SuppressionReason
from crm.db import utcnow
from crm.extensions import db
from crm.mail import claims, pipeline
from crm.mail.models import Delivery
from crm.partners import services as partners
from crm.privacy import retention
from crm.privacy.erasure import REDACTED, erase_contact
from crm.signup import preferences
from tests import factories
from tests.signup.helpers import form_data, link_in, path_of
from tests.smtp_sink import SmtpSink

BLOCKING = [SuppressionReason.HARD_BOUNCE, SuppressionReason.COMPLAINT, SuppressionReason.MANUAL]


@pytest.mark.parametrize("reason", BLOCKING)
def test_a_bounce_a_complaint_or_a_manual_block_stops_every_kind_at_send_time(app: Flask, outbox: list[Any],
                                                                             reason: SuppressionReason) -> None:
    blocked = factories.subscriber("bloque@example.org", topics=("lettre", "evenements"))
    consent.suppress(blocked.email, reason)
    letter = factories.sending_letter()
    for code in all_kinds():
        claims.queue_delivery(code, f"b:{code}", contact_id=blocked.id,
                              campaign_id=letter.id if code == "campaign" else None)
    db.session.commit()
    pipeline.send_due()
    rows = db.session.execute(sa.select(Delivery.status, Delivery.last_error)).all()
    assert len(rows) == len(all_kinds()) and outbox == []
    assert all(status == "skipped" and error.startswith("destinataire exclu") for status, error in rows)


@pytest.mark.parametrize(("reason", "lifted"), [(SuppressionReason.UNSUBSCRIBE, True),
                                                (SuppressionReason.HARD_BOUNCE, False),
                                                (SuppressionReason.COMPLAINT, False),
                                                (SuppressionReason.MANUAL, False)])
def test_a_fresh_opt_in_lifts_an_unsubscribe_and_nothing_else(app: Flask, client: Any, outbox: list[Any],
                                                               reason: SuppressionReason, lifted: bool) -> None:
    person = factories.subscriber("revient@example.org", topics=("lettre",), status="unsubscribed")
    consent.suppress(person.email, reason)
    db.session.commit()
    assert preferences.update_topics(person, {"lettre"})  # opting in again from the preference page
    db.session.commit()
    assert consent.is_suppressed(person.email) is not lifted
    # A signup confirmed with the same address says the same.
    client.post("/inscription", data=form_data(email="revient@example.org"))
    if outbox:
        client.post(path_of(link_in(outbox[-1], "/inscription/confirmer/")))
    assert consent.is_suppressed(person.email) is not lifted


def _sending_to(smtp_app: Flask, smtp_sink: SmtpSink, reply: str) -> tuple[str, bool]:
    person = factories.subscriber("destinataire@example.org")
    letter = factories.sending_letter()
    claims.queue_delivery("campaign", "c:1", contact_id=person.id, campaign_id=letter.id)
    db.session.commit()
    smtp_sink.data_reply = reply
    pipeline.send_due()
    db.session.expire_all()
    return db.session.scalar(sa.select(Delivery.status)), consent.is_suppressed(person.email)


def test_a_policy_refusal_at_data_does_not_suppress_the_address(smtp_app: Flask, smtp_sink: SmtpSink) -> None:
    assert _sending_to(smtp_app, smtp_sink, "554 5.7.1 Message refusé par la politique du site") == ("failed", False)


def test_an_unknown_address_at_data_is_suppressed(smtp_app: Flask, smtp_sink: SmtpSink) -> None:
    assert _sending_to(smtp_app, smtp_sink, "550 5.1.1 Utilisateur inconnu") == ("failed", True)


def test_the_per_second_throttle_holds_end_to_end(make_app: Any) -> None:
    """Eleven messages at ten a second cannot leave in less than a second: the pipeline waits its turn."""
    app = make_app(SEND_RATE_PER_SECOND=10)
    with app.app_context():
        person = factories.subscriber("lent@example.org")
        letter = factories.sending_letter()
        for n in range(11):
            claims.queue_delivery("campaign", f"t:{n}", contact_id=person.id, campaign_id=letter.id)
        db.session.commit()
        started = time.monotonic()
        assert pipeline.send_due().sent == 11
        assert time.monotonic() - started >= 0.95


def test_a_claim_takes_only_rows_still_queued(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two senders select the same due rows (SQLite lets both read); the second one's update must find them
    taken and claim nothing of them."""
    person = factories.subscriber("course@example.org")
    letter = factories.sending_letter()
    for n in range(3):
        claims.queue_delivery("campaign", f"r:{n}", contact_id=person.id, campaign_id=letter.id)
    db.session.commit()
    real_scalars = db.session.scalars
    raced: list[str | None] = []

    def select_then_lose_the_race(statement: Any, *args: Any, **kwargs: Any) -> Any:
        ids = list(real_scalars(statement, *args, **kwargs))
        if not raced:  # another sender claims the very rows this one just selected
            db.session.execute(sa.update(Delivery).where(Delivery.id.in_(ids))
                               .values(status="sending", claim_token="other"))
            raced.append("done")
        return ids

    monkeypatch.setattr(db.session, "scalars", select_then_lose_the_race)
    token = claims.claim_batch(10, utcnow(), tries=1)
    monkeypatch.undo()
    owners = dict(db.session.execute(sa.select(Delivery.dedupe_key, Delivery.claim_token)).all())
    assert set(owners.values()) == {"other"} and token not in owners.values()


def test_erasure_replaces_the_free_text_about_the_person(app: Flask, client: Any, outbox: list[Any]) -> None:
    client.post("/inscription", data=form_data(message="Mon projet secret d'extension à Damigny"))
    person = db.session.scalar(sa.select(partners.Contact))
    note = partners.add_note("Échange avec la personne sur son projet confidentiel", "call", contact=person)
    db.session.commit()
    erase_contact(person)
    db.session.commit()
    texts = [*db.session.scalars(sa.text("SELECT message FROM signups")),
             *db.session.scalars(sa.text(f"SELECT body FROM notes WHERE id = {note.id}"))]
    assert texts and all(text in ("", REDACTED) for text in texts), texts


def test_the_confirmation_records_the_ip_when_asked(make_app: Any) -> None:
    for record_ip, expected in ((True, "203.0.113.9"), (False, None)):
        app = make_app(SIGNUP_RECORD_IP=record_ip)
        with app.app_context():
            from crm.extensions import mail

            with mail.record_messages() as outbox:
                client = app.test_client()
                client.post("/inscription", data=form_data(), environ_base={"REMOTE_ADDR": "203.0.113.9"})
                client.post(path_of(link_in(outbox[-1], "/inscription/confirmer/")),
                            environ_base={"REMOTE_ADDR": "203.0.113.9"})
            confirm = db.session.scalar(sa.select(ConsentRecord).where(
                ConsentRecord.action == ConsentAction.CONFIRM.value))
            assert confirm is not None and confirm.ip == expected
            db.session.execute(sa.delete(ConsentRecord))
            db.session.execute(sa.text("DELETE FROM signup_requests"))
            db.session.execute(sa.text("DELETE FROM signups"))
            db.session.execute(sa.text("DELETE FROM subscriptions"))
            db.session.execute(sa.text("DELETE FROM contacts"))
            db.session.commit()


@pytest.mark.parametrize(("days_past_three_years", "listed"), [(-1, False), (1, True)])
def test_the_retention_boundary_is_three_years_to_the_day(app: Flask, days_past_three_years: int,
                                                         listed: bool) -> None:
    now = utcnow()
    created = retention.years_before(now, 3) - timedelta(days=days_past_three_years)
    prospect = factories.contact("prospect@example.org", "Pro", "Spect", created_at=created)
    db.session.commit()
    stale = {s.contact_id for s in retention.stale_prospects(now)}
    assert (prospect.id in stale) is listed
