"""End to end over a real SMTP server: invite a segment, answer from the links in the mails, reminders at
their times to the yes only, once each however often the sender runs; moving and cancelling the event."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from types import SimpleNamespace
from typing import Any

import pytest
import vobject

from crm.db import utcnow
from crm.events import audience, services
from crm.events.models import Event, Invitation
from crm.extensions import db
from tests.events.helpers import Clock, ics_attachment, make_contact, rsvp_links


def _people() -> dict[str, str]:
    people = {
        "yes": make_contact("Anne", "Lefort", "anne.lefort@example.org"),
        "no": make_contact("Bruno", "Morel", "bruno.morel@example.org"),
        "silent": make_contact("Chloé", "Renard", "chloe.renard@example.org"),
        "outside": make_contact("Denis", "Vasseur", "denis.vasseur@example.org"),
    }
    for key in ("yes", "no", "silent"):
        people[key].ambassador_status = "active"
    db.session.commit()
    return {key: contact.email or "" for key, contact in people.items()}


def _segment_event(clock: Clock) -> tuple[Any, dict[str, str]]:
    from crm.segments.services import SegmentCriteria, save_segment

    people = _people()
    segment = save_segment("Ambassadeurs actifs", "", SegmentCriteria(ambassador="active"))
    starts = (utcnow() + timedelta(days=20)).replace(microsecond=0)
    event = services.create_event(services.EventInput(
        kind="comite_technique", title="Comité technique semestriel", starts_at=starts,
        ends_at=starts + timedelta(hours=3), place="Hôtel de ville, Alençon", capacity=10))
    db.session.flush()
    result = services.invite_contacts(event, audience.segment_contact_ids(segment.id))
    db.session.commit()
    assert len(result.added) == 3
    # The sender empties the session: the test keeps plain values.
    return SimpleNamespace(id=event.id, uid=event.uid, starts_at=event.starts_at, sequence=event.sequence), people


def _send(times: int = 1) -> None:
    """Runs the scheduler's own jobs that matter here (dispatch, event reminders), as ``--once`` would."""
    from flask import current_app

    from scheduler import jobs_of, run_once

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs = [job for job in jobs_of(app) if job.id in {"dispatch", "event_reminders"}]
    assert len(jobs) == 2
    for _ in range(times):
        assert run_once(app, jobs) == 0


def _by_recipient(messages: list[EmailMessage]) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for message in messages:
        found.setdefault(str(message["To"]), []).append(message)
    return found


def _answer(client: Any, message: EmailMessage, answer: str) -> None:
    links = rsvp_links(message)
    assert links, "no RSVP link in the mail"
    path = links[0].split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    assert client.post("/" + path, data={"answer": answer}).status_code == 200


@pytest.fixture
def mail_app(smtp_app: Any) -> Any:
    smtp_app.config["SEND_RATE_PER_SECOND"] = 1000
    return smtp_app


def test_invite_segment_answer_from_mail_and_reminders_once_each(mail_app: Any, smtp_sink: Any,
                                                                 clock: Clock) -> None:
    event, people = _segment_event(clock)
    _send(2)
    invitations = _by_recipient(smtp_sink.messages())
    assert sorted(invitations) == sorted(people[k] for k in ("yes", "no", "silent"))
    for (message,) in invitations.values():
        assert message["Subject"] == "Invitation : Comité technique semestriel"
        calendar = vobject.readOne(ics_attachment(message).decode())
        assert calendar.method.value == "REQUEST" and calendar.vevent.uid.value == event.uid

    client = mail_app.test_client()
    _answer(client, invitations[people["yes"]][0], "yes")
    _answer(client, invitations[people["no"]][0], "no")
    count = len(smtp_sink.messages())
    _send(2)
    confirmations = smtp_sink.messages()[count:]
    assert [str(m["To"]) for m in confirmations] == [people["yes"]]
    confirmation = vobject.readOne(ics_attachment(confirmations[0]).decode())
    assert confirmation.vevent.attendee.params["PARTSTAT"] == ["ACCEPTED"]

    # Nothing is due before the first reminder's time, however often the sender runs.
    count = len(smtp_sink.messages())
    clock.set(event.starts_at - timedelta(days=7, minutes=1))
    _send(3)
    assert len(smtp_sink.messages()) == count

    clock.set(event.starts_at - timedelta(days=7) + timedelta(minutes=1))
    _send(3)
    first = smtp_sink.messages()[count:]
    assert [str(m["To"]) for m in first] == [people["yes"]]
    assert first[0]["Subject"].startswith("Rappel : Comité technique semestriel")

    clock.set(event.starts_at - timedelta(days=1) + timedelta(minutes=1))
    _send(3)
    second = smtp_sink.messages()[count + 1:]
    assert [str(m["To"]) for m in second] == [people["yes"]]
    assert smtp_sink.recipients().count(people["yes"]) == 4  # invitation, confirmation, two reminders
    assert smtp_sink.recipients().count(people["no"]) == 1
    assert smtp_sink.recipients().count(people["silent"]) == 1
    assert people["outside"] not in smtp_sink.recipients()
    for item in smtp_sink.received:  # what a strict relay accepts: no line over 998 octets
        assert max(len(line) for line in item.data.split(b"\r\n")) <= 998
    db.session.expire_all()
    sent = {i.contact_id: i.sent_at for i in db.session.query(Invitation)}
    assert all(sent.values())


def test_moving_then_cancelling_mails_updates_and_stops_reminders(mail_app: Any, smtp_sink: Any,
                                                                 clock: Clock) -> None:
    event, people = _segment_event(clock)
    _send()
    client = mail_app.test_client()
    invitations = _by_recipient(smtp_sink.messages())
    _answer(client, invitations[people["yes"]][0], "yes")
    _answer(client, invitations[people["no"]][0], "no")
    _send()
    first_uid, first_sequence = event.uid, event.sequence

    count = len(smtp_sink.messages())
    event_id = event.id
    event = db.session.get(Event, event_id)
    assert event is not None
    later = event.starts_at + timedelta(days=3)
    services.update_event(event, services.EventInput(
        kind=event.kind, title=event.title, starts_at=later, ends_at=later + timedelta(hours=3),
        place="Campus de Damigny", capacity=event.capacity))
    db.session.commit()
    _send(2)
    updates = smtp_sink.messages()[count:]
    assert sorted(str(m["To"]) for m in updates) == sorted([people["yes"], people["silent"]])
    for message in updates:
        vevent = vobject.readOne(ics_attachment(message).decode()).vevent
        assert vevent.uid.value == first_uid and int(vevent.sequence.value) > first_sequence
        assert vevent.location.value == "Campus de Damigny"

    # The 7-day reminder now goes at the new time, not the old one.
    count = len(smtp_sink.messages())
    clock.set(later - timedelta(days=7) - timedelta(hours=1))
    _send(2)
    assert len(smtp_sink.messages()) == count
    clock.set(later - timedelta(days=7) + timedelta(minutes=1))
    _send(2)
    assert [str(m["To"]) for m in smtp_sink.messages()[count:]] == [people["yes"]]

    count = len(smtp_sink.messages())
    services.cancel_event(db.session.get(Event, event_id))
    db.session.commit()
    clock.set(later - timedelta(hours=1))
    _send(3)
    cancels = smtp_sink.messages()[count:]
    assert sorted(str(m["To"]) for m in cancels) == sorted([people["yes"], people["silent"]])
    for message in cancels:
        assert message["Subject"].startswith("Annulation")
        calendar = vobject.readOne(ics_attachment(message).decode())
        assert calendar.method.value == "CANCEL" and calendar.vevent.uid.value == first_uid
