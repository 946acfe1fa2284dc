"""A direct MIME writer for bulk mail: the same structure Flask-Mail builds for a text + HTML message, written
in one pass. The email package's generator (header registry, policy folding) costs several milliseconds per
message, more than everything else in the pipeline together.

Output: CRLF line ends, headers encoded (RFC 2047) where not ASCII, bodies quoted-printable like
``crm.mail.rendering.Message`` (lines of at most 76 characters), so no line exceeds 998 octets. Anything
unusual (attachments, Cc, Bcc, Reply-To, non-ASCII addresses) goes through Flask-Mail's own serialisation.
"""

from __future__ import annotations

import binascii
import re
import uuid
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr

from flask_mail import Message as FlaskMailMessage

from crm.mail.dkim import signed
from crm.mail.rendering import Message

CRLF = "\r\n"
MAX_RAW_HEADER = 900


def _ascii(value: str) -> bool:
    return value.isascii()


WORD_OCTETS = 45  # 45 octets -> 60 base64 characters: "=?utf-8?b?" + 60 + "?=" = 72, under 75


def encoded_words(value: str) -> str:
    """RFC 2047 base64 encoded-words of at most 75 characters, one per folded line, never splitting a character."""
    data = value.encode("utf-8")
    words, start = [], 0
    while start < len(data):
        end = min(start + WORD_OCTETS, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a continuation octet: cut before its character
            end -= 1
        words.append(data[start:end])
        start = end
    return (CRLF + " ").join(f"=?utf-8?b?{binascii.b2a_base64(word, newline=False).decode()}?="
                             for word in words or [b""])


def _header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"line break in header {name}")
    if _ascii(value) and len(name) + len(value) < MAX_RAW_HEADER:
        return f"{name}: {value}"
    if name in ("From", "To"):
        return f"{name}: " + Header(value, "utf-8", maxlinelen=76, header_name=name).encode(linesep=CRLF)
    return f"{name}: {encoded_words(value)}"


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _address(value: str) -> str:
    if _PLAIN_ADDRESS.fullmatch(value):  # a bare address (every newsletter recipient): nothing to parse
        return value
    return _named_address(value)


@lru_cache(maxsize=64)
def _named_address(value: str) -> str:
    """"Name <address>" (the sender, the same for a whole campaign): parsed once."""
    name, address = parseaddr(value)
    if not address.isascii():
        raise ValueError("non-ASCII address")
    return formataddr((name, address), charset="utf-8")


def _quoted_printable(text: str) -> str:
    lf_text = text.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(lf_text.encode("utf-8"), quotetabs=False, istext=True, header=False)
    return encoded.decode("ascii").replace("\n", CRLF)


_last_date: tuple[int, str] = (-1, "")


def _date(timestamp: float | None) -> str:
    """The Date header, formatted once per second (every message of a second has the same)."""
    global _last_date
    second = int(timestamp) if timestamp is not None else -1
    if second < 0:
        return formatdate(timestamp, localtime=True)
    if _last_date[0] != second:
        _last_date = (second, formatdate(second, localtime=True))
    return _last_date[1]


def _one_person(message: Message) -> bool:
    return (not message.attachments and not message.cc and not message.bcc and not message.reply_to
            and len(message.recipients) == 1 and message.charset in (None, "utf-8"))


def _simple(message: Message) -> bool:
    return _one_person(message) and set(message.alts) <= {"html"} and message.body is not None


def serialise(message: Message, encoded: tuple[str, str | None] | None = None) -> bytes:
    """The message's bytes; ``encoded``: its text and HTML bodies already quoted-printable (``PersonalMime``)."""
    sender = message.sender if isinstance(message.sender, str) else formataddr(message.sender)
    recipient = message.recipients[0]
    recipient = recipient if isinstance(recipient, str) else formataddr(recipient)
    boundary = f"==============={uuid.uuid4().hex}=="
    if encoded is None:
        html = message.alts.get("html")
        text_part = _quoted_printable(message.body or "")
        html_part = _quoted_printable(html) if html is not None else None
    else:
        text_part, html_part = encoded
    lines = [
        _header("Content-Type", f'multipart/alternative; boundary="{boundary}"' if html_part is not None
                else 'text/plain; charset="utf-8"'),
        "MIME-Version: 1.0",
        _header("Subject", message.subject or ""),
        _header("From", _address(sender)),
        _header("To", _address(recipient)),
        _header("Date", _date(message.date)),
        _header("Message-ID", message.msgId),
        *(_header(name, value) for name, value in (message.extra_headers or {}).items()),
    ]
    if html_part is None:
        lines += ["Content-Transfer-Encoding: quoted-printable", "", text_part]
    else:
        part = ["MIME-Version: 1.0", "Content-Transfer-Encoding: quoted-printable", ""]
        lines += [
            "", f"--{boundary}", 'Content-Type: text/plain; charset="utf-8"', *part, text_part,
            f"--{boundary}", 'Content-Type: text/html; charset="utf-8"', *part, html_part,
            f"--{boundary}--", "",
        ]
    return CRLF.join(lines).encode("ascii")


class BulkMessage(Message):
    """A Flask-Mail message serialised by ``serialise`` when it is a plain text + HTML mail to one person."""

    def as_bytes(self) -> bytes:
        if _simple(self):
            try:
                return signed(serialise(self))
            except ValueError:
                pass
        return super().as_bytes()


def for_bulk(message: Message) -> Message:
    """The same message, with the fast serialisation (the class is swapped in place: same attributes)."""
    if type(message) in (Message, FlaskMailMessage):
        message.__class__ = BulkMessage
    return message


# --- One letter, many recipients: the bodies encoded once, each person's values put in -------------------------

QP_LINE = 76  # RFC 2045: encoded lines of at most 76 characters
# Printable ASCII but "=" and the space: quoted-printable leaves such text as it is.
_QP_AS_IT_IS = re.compile(r"[!-<>-~]+")


def _piece(text: str, *, more: bool) -> str:
    """``text`` quoted-printable; with ``more``, its last line ends with a soft line break ("=", within 76
    characters), so whatever is encoded next continues the same decoded line. Pieces encoded one by one and put
    end to end decode to the pieces' text end to end."""
    soft = "=" + CRLF if more else ""
    if _QP_AS_IT_IS.fullmatch(text):  # a link, a token, a plain word: only cut into lines
        if len(text) < QP_LINE:
            return text + soft
        return ("=" + CRLF).join([text[i:i + QP_LINE - 1] for i in range(0, len(text), QP_LINE - 1)]) + soft
    encoded = _quoted_printable(text)
    if not encoded or encoded.endswith(CRLF):
        return encoded
    start = encoded.rfind(CRLF) + 2 if CRLF in encoded else 0
    tail = encoded[start:]
    if len(tail) > (QP_LINE - 1 if more else QP_LINE):  # (binascii lets a last "=20" run over)
        cut = QP_LINE - 1  # room for the "=" of a soft break, never inside an "=XX" escape
        if tail[cut - 1] == "=":
            cut -= 1
        elif tail[cut - 2] == "=":
            cut -= 2
        tail = tail[:cut] + "=" + CRLF + tail[cut:]
    return encoded[:start] + tail + soft


class PersonalBody:
    """A body with slots (``slots``: a pattern whose first group names the value that goes there), its fixed
    text encoded once; ``escape`` turns each value into what the body's language needs (HTML escaping)."""

    def __init__(self, template: str, slots: re.Pattern[str], escape: Callable[[str], str] | None = None) -> None:
        pieces = slots.split(template)
        self.fixed, self.names = pieces[0::2], pieces[1::2]
        if len(self.fixed) > 1 and self.fixed[-1] == "":  # ends with a value: nothing after it
            self.fixed.pop()
        self.escape = escape or (lambda value: value)
        self.encoded_fixed = [_piece(text, more=i < len(self.names)) for i, text in enumerate(self.fixed)]

    def text(self, values: Mapping[str, str]) -> str:
        escape = self.escape
        parts = [self.fixed[0]]
        for i, name in enumerate(self.names, start=1):
            parts.append(escape(values.get(name, "")))
            if i < len(self.fixed):
                parts.append(self.fixed[i])
        return "".join(parts)

    def encoded(self, values: Mapping[str, str]) -> str:
        escape, fixed = self.escape, self.encoded_fixed
        parts = [fixed[0]]
        for i, name in enumerate(self.names, start=1):
            more = i < len(fixed)
            parts.append(_piece(escape(values.get(name, "")), more=more))
            if more:
                parts.append(fixed[i])
        return "".join(parts)


class PersonalMime:
    """The text and HTML bodies of a letter sent to many people, written once; ``message`` makes one person's
    message by putting their values in the slots (a few short strings to encode instead of the whole letter)."""

    def __init__(self, text: str, html: str | None, slots: re.Pattern[str],
                 escape_html: Callable[[str], str]) -> None:
        self.text = PersonalBody(text, slots)
        self.html = PersonalBody(html, slots, escape_html) if html is not None else None
        self.names = frozenset(self.text.names) | (frozenset(self.html.names) if self.html else frozenset())

    def message(self, values: Mapping[str, str], **fields: Any) -> PersonalMessage:
        return PersonalMessage(self, values, **fields)


class PersonalMessage(BulkMessage):
    """A message whose bodies are a ``PersonalMime`` filled with one person's values. ``body`` and ``html`` read
    as the filled text (they cannot be replaced); the bytes use the bodies encoded once."""

    def __init__(self, mime: PersonalMime, values: Mapping[str, str], **fields: Any) -> None:
        self.mime, self.values = mime, values
        super().__init__(**fields)

    @property  # type: ignore[override]
    def body(self) -> str:
        return self.mime.text.text(self.values)

    @body.setter
    def body(self, value: str | None) -> None:
        if value is not None:
            raise AttributeError("the body of a personal message comes from its letter")

    @property  # type: ignore[override]
    def html(self) -> str | None:
        return self.mime.html.text(self.values) if self.mime.html is not None else None

    @html.setter
    def html(self, value: str | None) -> None:
        if value is not None:
            raise AttributeError("the body of a personal message comes from its letter")

    def as_bytes(self) -> bytes:
        if _one_person(self) and not self.alts:
            try:
                html = self.mime.html.encoded(self.values) if self.mime.html is not None else None
                return signed(serialise(self, (self.mime.text.encoded(self.values), html)))
            except ValueError:
                pass
        return super().as_bytes()
