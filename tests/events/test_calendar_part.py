"""Invitations, updates and cancellations carry the iCalendar object where Outlook and Gmail look for it: a
``text/calendar; method=...`` part inside the ``multipart/alternative`` next to the text and the HTML, and the
same object as an ``.ics`` attachment. Read with the email package, and the calendar with two parsers."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import icalendar
import pytest
import vobject

from crm.events import services
from crm.events.models import Event
from crm.extensions import db
from crm.mail.rendering import add_calendar, compose
from tests.events.helpers import Clock
from tests.events.test_end_to_end import _answer, _by_recipient, _segment_event, _send


@pytest.fixture
def mail_app(smtp_app: Any) -> Any:
    smtp_app.config["SEND_RATE_PER_SECOND"] = 1000
    return smtp_app


def _calendar_parts(message: EmailMessage, method: str) -> tuple[bytes, bytes]:
    """Checks the structure; returns the alternative's calendar and the attachment's, as bytes."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, *rest = list(message.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html", "text/calendar"]
    calendar_part = list(alternative.iter_parts())[2]
    assert calendar_part.get_param("method") == method
    assert calendar_part.get_content_disposition() is None  # inline: what calendar clients act on
    (attachment,) = rest
    assert attachment.get_content_type() == "text/calendar" and attachment.get_filename() == "invitation.ics"
    assert attachment.get_param("method") == method
    return calendar_part.get_payload(decode=True), attachment.get_payload(decode=True)


def _both_parsers(data: bytes, method: str) -> tuple[str, int]:
    """UID and SEQUENCE, read by icalendar and by vobject, which must agree with each other and with ``method``."""
    first = icalendar.Calendar.from_ical(data)
    (vevent,) = first.walk("VEVENT")
    second = vobject.readOne(data.decode("utf-8"))
    assert str(first["METHOD"]) == second.method.value == method
    assert str(vevent["UID"]) == second.vevent.uid.value
    assert int(vevent["SEQUENCE"]) == int(second.vevent.sequence.value)
    return second.vevent.uid.value, int(second.vevent.sequence.value)


def test_invitation_update_and_cancellation_carry_a_calendar_alternative(mail_app: Any, smtp_sink: Any,
                                                                         clock: Clock) -> None:
    event, people = _segment_event(clock)
    _send()
    invitations = _by_recipient(smtp_sink.messages())
    for (message,) in invitations.values():
        inline, attached = _calendar_parts(message, "REQUEST")
        assert inline == attached
        assert _both_parsers(inline, "REQUEST") == (event.uid, event.sequence)
    _answer(mail_app.test_client(), invitations[people["yes"]][0], "yes")
    _send()

    count = len(smtp_sink.messages())
    moved = db.session.get(Event, event.id)
    later = moved.starts_at + timedelta(days=3)
    services.update_event(moved, services.EventInput(
        kind=moved.kind, title=moved.title, starts_at=later, ends_at=later + timedelta(hours=3),
        place="Campus de Damigny", capacity=moved.capacity))
    db.session.commit()
    _send()
    updates = smtp_sink.messages()[count:]
    assert len(updates) == 3  # the yes and the two who did not answer
    for message in updates:
        inline, attached = _calendar_parts(message, "REQUEST")
        assert inline == attached
        uid, sequence = _both_parsers(inline, "REQUEST")
        assert uid == event.uid and sequence > event.sequence

    count = len(smtp_sink.messages())
    services.cancel_event(db.session.get(Event, event.id))
    db.session.commit()
    _send()
    cancels = smtp_sink.messages()[count:]
    assert len(cancels) == 3
    for message in cancels:
        inline, attached = _calendar_parts(message, "CANCEL")
        assert inline == attached
        uid, sequence = _both_parsers(inline, "CANCEL")
        assert uid == event.uid and sequence > event.sequence


def test_a_calendar_part_whose_method_differs_from_the_object_is_refused(app: Any) -> None:
    message = compose("anne.lefort@example.org", "Invitation", "Bonjour", "<p>Bonjour</p>")
    data = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    with pytest.raises(ValueError):
        add_calendar(message, data, "CANCEL")
    add_calendar(message, data, "REQUEST")
    assert message.calendar_method == "REQUEST" and len(message.attachments) == 1
