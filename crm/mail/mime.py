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
from functools import lru_cache
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


def _simple(message: Message) -> bool:
    return (not message.attachments and not message.cc and not message.bcc and not message.reply_to
            and len(message.recipients) == 1 and set(message.alts) <= {"html"} and message.body is not None
            and message.charset in (None, "utf-8"))


def serialise(message: Message) -> bytes:
    sender = message.sender if isinstance(message.sender, str) else formataddr(message.sender)
    recipient = message.recipients[0]
    recipient = recipient if isinstance(recipient, str) else formataddr(recipient)
    boundary = f"==============={uuid.uuid4().hex}=="
    html = message.alts.get("html")
    lines = [
        _header("Content-Type", f'multipart/alternative; boundary="{boundary}"' if html is not None
                else 'text/plain; charset="utf-8"'),
        "MIME-Version: 1.0",
        _header("Subject", message.subject or ""),
        _header("From", _address(sender)),
        _header("To", _address(recipient)),
        _header("Date", formatdate(message.date, localtime=True)),
        _header("Message-ID", message.msgId),
        *(_header(name, value) for name, value in (message.extra_headers or {}).items()),
    ]
    text_part = _quoted_printable(message.body or "")
    if html is None:
        lines += ["Content-Transfer-Encoding: quoted-printable", "", text_part]
    else:
        part = ["MIME-Version: 1.0", "Content-Transfer-Encoding: quoted-printable", ""]
        lines += [
            "", f"--{boundary}", 'Content-Type: text/plain; charset="utf-8"', *part, text_part,
            f"--{boundary}", 'Content-Type: text/html; charset="utf-8"', *part, _quoted_printable(html),
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
