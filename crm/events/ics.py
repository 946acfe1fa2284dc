"""Calendar files (RFC 5545) written with icalendar: invitations, updates, cancellations and the public feed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vRecur, vText
from icalendar import Event as VEvent

from crm.db import utcnow
from crm.events.models import Event, Invitation, InvitationStatus
from crm.i18n import local_tz, to_local

PRODID = "-//Communaute urbaine d'Alencon//Territoires d'industrie CRM//FR"

PARTSTAT = {
    InvitationStatus.ACCEPTED: "ACCEPTED",
    InvitationStatus.ATTENDED: "ACCEPTED",
    InvitationStatus.DECLINED: "DECLINED",
    InvitationStatus.WAITLISTED: "TENTATIVE",
}


def local_timezone() -> Timezone:
    """The VTIMEZONE calendar clients themselves write for the local zone (``TIMEZONE``, Europe/Paris: the EU
    rules of summer time since 1996)."""
    tzid = current_app.config["TIMEZONE"]
    zone = local_tz()
    tz = Timezone()
    tz.add("tzid", tzid)
    tz.add("x-lic-location", tzid)
    summer = TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("dtstart", datetime(1970, 3, 29, 2, 0, 0))
    summer.add("tzoffsetfrom", datetime(2000, 1, 1, tzinfo=zone).utcoffset())
    summer.add("tzoffsetto", datetime(2000, 7, 1, tzinfo=zone).utcoffset())
    summer.add("rrule", vRecur({"freq": "yearly", "bymonth": 3, "byday": "-1su"}))
    winter = TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("dtstart", datetime(1970, 10, 25, 3, 0, 0))
    winter.add("tzoffsetfrom", datetime(2000, 7, 1, tzinfo=zone).utcoffset())
    winter.add("tzoffsetto", datetime(2000, 1, 1, tzinfo=zone).utcoffset())
    winter.add("rrule", vRecur({"freq": "yearly", "bymonth": 10, "byday": "-1su"}))
    tz.add_component(summer)
    tz.add_component(winter)
    return tz


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(local_timezone())
    return calendar


def organiser() -> vCalAddress:
    name, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    value = vCalAddress(f"mailto:{address}")
    value.params["cn"] = vText(name or current_app.config["ORGANISATION_NAME"])
    return value


def _vevent(event: Event, *, cancelled: bool = False, now: datetime | None = None) -> VEvent:
    vevent = VEvent()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", now or utcnow())
    vevent.add("dtstart", to_local(event.starts_at))
    vevent.add("dtend", to_local(event.ends_at))
    vevent.add("summary", event.title)
    if event.description:
        vevent.add("description", event.description)
    if event.place:
        vevent.add("location", event.place)
    vevent.add("status", "CANCELLED" if cancelled or event.is_cancelled else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    vevent.add("organizer", organiser())
    return vevent


def _attendee(invitation: Invitation) -> vCalAddress:
    contact = invitation.contact
    value = vCalAddress(f"mailto:{contact.email}")
    value.params["cn"] = vText(contact.full_name)
    value.params["role"] = vText("REQ-PARTICIPANT")
    value.params["partstat"] = vText(PARTSTAT.get(InvitationStatus(invitation.status), "NEEDS-ACTION"))
    value.params["rsvp"] = vText("TRUE")
    return value


def invitation_method(event: Event) -> str:
    """The iTIP method (RFC 5546) of the mail about an event: the calendar's METHOD and its MIME part's."""
    return "CANCEL" if event.is_cancelled else "REQUEST"


def invitation_ics(invitation: Invitation, *, now: datetime | None = None) -> bytes:
    """METHOD:REQUEST for one invitee: the invitation, an update, the confirmation of a yes."""
    event = invitation.event
    calendar = _calendar(invitation_method(event))
    vevent = _vevent(event, now=now)
    vevent.add("attendee", _attendee(invitation))
    calendar.add_component(vevent)
    return calendar.to_ical()


def feed_ics(events: Iterable[Event], *, now: datetime | None = None) -> bytes:
    """A subscribable calendar of upcoming public events (METHOD:PUBLISH, no attendee)."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", "Territoires d'industrie — CUA")
    calendar.add("x-wr-timezone", current_app.config["TIMEZONE"])
    for event in events:
        calendar.add_component(_vevent(event, now=now))
    return calendar.to_ical()
