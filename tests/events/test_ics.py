"""Calendar files, read back with vobject (an independent parser): Paris times across DST, UID, SEQUENCE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import vobject

from crm.events import ics, services
from crm.events.models import Invitation
from crm.extensions import db

PARIS = ZoneInfo("Europe/Paris")


def _parse(data: bytes) -> Any:
    text = data.decode("utf-8")
    assert "\r\n" in text and all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    return vobject.readOne(text)


def _invitation(make_event: Any, contacts: Any, **kwargs: Any) -> Invitation:
    event = make_event(**kwargs)
    invitation = services.invite_contacts(event, [contacts[0].id]).added[0]
    db.session.commit()
    return invitation


def test_invitation_ics_is_a_request_with_paris_times_on_both_sides_of_dst(make_event: Any, contacts: Any) -> None:
    # Starts on Saturday 27 March 2027 (UTC+1) and ends on Monday 29 March (UTC+2): the clocks change between.
    starts = datetime(2027, 3, 27, 9, 30, tzinfo=PARIS)
    ends = datetime(2027, 3, 29, 17, 0, tzinfo=PARIS)
    invitation = _invitation(make_event, contacts, starts_at=starts.astimezone(UTC), ends_at=ends.astimezone(UTC))
    data = ics.invitation_ics(invitation)
    assert b"DTSTART;TZID=Europe/Paris:20270327T093000\r\n" in data
    assert b"DTEND;TZID=Europe/Paris:20270329T170000\r\n" in data
    calendar = _parse(data)

    assert calendar.method.value == "REQUEST"
    assert calendar.vtimezone.tzid.value == "Europe/Paris"
    vevent = calendar.vevent
    start, end = vevent.dtstart.value, vevent.dtend.value
    assert not isinstance(start.tzinfo, ZoneInfo)  # the offsets come from the file's VTIMEZONE
    # Wall-clock times in Paris as written, and the offsets the VTIMEZONE gives them.
    assert (start.hour, start.minute, end.hour, end.minute) == (9, 30, 17, 0)
    assert start.utcoffset() == timedelta(hours=1) and end.utcoffset() == timedelta(hours=2)
    assert start.astimezone(UTC) == datetime(2027, 3, 27, 8, 30, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2027, 3, 29, 15, 0, tzinfo=UTC)
    assert vevent.uid.value == invitation.event.uid
    assert vevent.sequence.value == "0"
    assert vevent.organizer.value == "mailto:territoires-industrie@example.org"
    assert vevent.attendee.value == "mailto:camille.aubert@example.org"
    assert vevent.attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]
    assert vevent.attendee.params["CN"] == ["Camille Aubert"]
    assert vevent.location.value == "Hôtel de ville, Alençon"
    assert vevent.summary.value == "Comité technique semestriel"


def test_autumn_change_is_read_right(make_event: Any, contacts: Any) -> None:
    starts = datetime(2027, 10, 30, 18, 0, tzinfo=PARIS)  # the day before the change: UTC+2
    ends = datetime(2027, 10, 31, 12, 0, tzinfo=PARIS)  # after it: UTC+1
    invitation = _invitation(make_event, contacts, starts_at=starts.astimezone(UTC), ends_at=ends.astimezone(UTC))
    vevent = _parse(ics.invitation_ics(invitation)).vevent
    assert vevent.dtstart.value.astimezone(UTC) == datetime(2027, 10, 30, 16, 0, tzinfo=UTC)
    assert vevent.dtend.value.astimezone(UTC) == datetime(2027, 10, 31, 11, 0, tzinfo=UTC)


def test_update_keeps_uid_and_raises_sequence_and_cancel_says_cancel(make_event: Any, contacts: Any) -> None:
    invitation = _invitation(make_event, contacts)
    event = invitation.event
    first = _parse(ics.invitation_ics(invitation)).vevent
    data = services.EventInput(kind=event.kind, title=event.title, starts_at=event.starts_at + timedelta(days=7),
                               ends_at=event.ends_at + timedelta(days=7), place="Campus de Damigny",
                               reminder_minutes=None)
    services.update_event(event, data)
    db.session.commit()
    second = _parse(ics.invitation_ics(invitation)).vevent
    assert second.uid.value == first.uid.value
    assert int(second.sequence.value) > int(first.sequence.value)
    assert second.location.value == "Campus de Damigny"
    assert second.dtstart.value.astimezone(UTC) == event.starts_at

    services.cancel_event(event)
    db.session.commit()
    cancelled = _parse(ics.invitation_ics(invitation))
    assert cancelled.method.value == "CANCEL"
    assert cancelled.vevent.uid.value == first.uid.value
    assert int(cancelled.vevent.sequence.value) > int(second.sequence.value)
    assert cancelled.vevent.status.value == "CANCELLED"


def test_a_yes_shows_accepted_and_the_feed_parses(client: Any, make_event: Any, contacts: Any) -> None:
    from crm.events import answers

    invitation = _invitation(make_event, contacts, is_public=True)
    answers.answer(invitation.id, True)
    db.session.commit()
    vevent = _parse(ics.invitation_ics(invitation)).vevent
    assert vevent.attendee.params["PARTSTAT"] == ["ACCEPTED"]
    feed = _parse(client.get("/evenements.ics").data)
    assert feed.method.value == "PUBLISH"
    assert [v.uid.value for v in feed.vevent_list] == [invitation.event.uid]
    assert not hasattr(feed.vevent, "attendee")
