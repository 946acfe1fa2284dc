"""Paired ``email/NAME.txt`` and ``email/NAME.html`` templates -> a Flask-Mail message with CSS inlined."""

from __future__ import annotations

import email.charset
import email.utils
import socket
from email.mime.text import MIMEText
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import css_inline
import flask_mail
from flask import current_app, render_template
from flask_mail import Message as FlaskMailMessage
from jinja2 import TemplateNotFound

from crm.mail.dkim import signed
from crm.mail.headers import clean_header, clean_headers


@lru_cache(maxsize=1)
def _host_domain() -> str:
    return socket.getfqdn()


def _make_msgid(idstring: str | None = None, domain: str | None = None) -> str:
    return email.utils.make_msgid(idstring, domain or _host_domain())


# Flask-Mail gives every Message a default id from make_msgid(), which asks the resolver for this host's name
# each time (a reverse DNS lookup per message: a quarter of a newsletter's sending time). Resolve it once.
flask_mail.make_msgid = _make_msgid

_QUOTED_PRINTABLE_UTF8 = email.charset.Charset("utf-8")
_QUOTED_PRINTABLE_UTF8.body_encoding = email.charset.QP


class Message(FlaskMailMessage):
    """Text parts always quoted-printable: no line over 998 octets reaches a strict SMTP server, even when
    the body is plain ASCII (where the standard library would otherwise choose 7bit, unwrapped).

    A calendar alternative (``add_calendar``) is a ``text/calendar; method=...`` part in base64: the iCalendar
    object's own CRLF line ends travel unchanged. The final bytes carry a DKIM signature where it is configured
    (``crm.mail.dkim``)."""

    calendar_method: str | None = None

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        if subtype == "calendar":
            part = MIMEText(text or "", _subtype="calendar", _charset="utf-8")
            part.set_param("method", self.calendar_method or "PUBLISH")
            return part
        return MIMEText(text or "", _subtype=subtype, _charset=_QUOTED_PRINTABLE_UTF8)  # type: ignore[arg-type]

    def as_bytes(self) -> bytes:
        return signed(super().as_bytes())


def add_calendar(message: Message, ics: bytes, method: str, filename: str = "invitation.ics") -> None:
    """The iCalendar object twice, as Outlook and Gmail expect: a ``text/calendar; method=...`` alternative next
    to the text and the HTML (what calendar clients act on), and the same bytes as a ``.ics`` attachment (what
    other clients offer to open). ``method`` must be the METHOD written inside the object."""
    if f"METHOD:{method}\r\n".encode("ascii") not in ics:
        raise ValueError(f"the calendar's METHOD is not {method}")
    message.calendar_method = method
    message.alts["calendar"] = ics.decode("utf-8")
    message.attach(filename, f"text/calendar; method={method}; charset=UTF-8", ics, "attachment")


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    return _inliner().inline(html)


def render_bodies(template: str, **context: Any) -> tuple[str, str | None]:
    context.setdefault("organisation_name", current_app.config["ORGANISATION_NAME"])
    context.setdefault("postal_address", current_app.config["ORGANISATION_POSTAL_ADDRESS"])
    text = render_template(f"email/{template}.txt", **context)
    try:
        html = render_template(f"email/{template}.html", **context)
    except TemplateNotFound:
        return text, None
    return text, inline_css(html)


def build_message(
    to: str,
    subject: str,
    template: str,
    *,
    extra_headers: dict[str, str] | None = None,
    sender: str | None = None,
    **context: Any,
) -> Message:
    context.setdefault("subject", subject)  # the HTML part's <title> (a document without one is not accessible)
    text, html = render_bodies(template, **context)
    return compose(to, subject, text, html, extra_headers=extra_headers, sender=sender)


def compose(
    to: str,
    subject: str,
    text: str,
    html: str | None,
    *,
    extra_headers: dict[str, str] | None = None,
    sender: str | None = None,
    message_factory: Callable[..., Message] | None = None,
) -> Message:
    """A message from bodies already rendered (or, with ``message_factory``, a message class that writes its own
    bodies: crm.mail.mime.PersonalMime); every header value is stripped of CR and LF. Its Message-ID is
    in the sender's domain (receiving servers check it; the machine's host name means nothing to them)."""
    sender = clean_header(sender or current_app.config["MAIL_DEFAULT_SENDER"])
    message = (message_factory or Message)(
        subject=clean_header(subject),
        recipients=[clean_header(to)],
        body=text,
        html=html,
        sender=sender,
        extra_headers=clean_headers(extra_headers),
    )
    message.msgId = email.utils.make_msgid(domain=sender_domain(sender))
    return message


def sender_domain(sender: str | None = None) -> str:
    return _domain_of(sender or current_app.config["MAIL_DEFAULT_SENDER"])


@lru_cache(maxsize=64)
def _domain_of(sender: str) -> str:
    """The domain of a sender address (the same for every message of a campaign: parsed once)."""
    address = email.utils.parseaddr(sender)[1]
    return address.rsplit("@", 1)[1] if "@" in address else "localhost"
