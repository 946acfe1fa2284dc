"""The Maildir outbox: read for the back office (newest first, each message with its parts), and emptied of a
person's messages when their data is erased.

The messages carry links that act for a person without a login (confirm a signup, change preferences,
unsubscribe, answer an invitation, download the kit, choose a new password). ``mask_links`` hides them from
whoever may read the outbox but must not act for people: a path segment that is the ``<token>`` of one of the
application's routes, and any other part of a link that looks like a signed or random token.
"""

from __future__ import annotations

import logging
import mailbox
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException

from crm.mail.after_commit import after_commit, on_commit
from crm.mail.transport import open_maildir
from crm.pagination import Page

log = logging.getLogger(__name__)
FORGET_KEY = "crm_outbox_forget"

_PARSER = BytesParser(policy=policy.default)


@dataclass
class OutboxMessage:
    key: str
    subject: str
    to: str
    sender: str
    date: datetime
    text: str = ""
    html: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    links_masked: bool = False  # some links were hidden from the reader (mask_links)


_KEY = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)")


def _key_time(key: str) -> tuple[int, int, int]:
    """Maildir names start with seconds, microseconds and a per-process counter: newest first by those."""
    match = _KEY.match(key)
    if match is None:
        return (0, 0, 0)
    seconds, micros, counter = match.groups()
    return (int(seconds), int(micros), int(counter))


def _parse(box: mailbox.Maildir, key: str, with_body: bool) -> OutboxMessage:
    with box.get_file(key) as handle:
        raw = handle.read()
    message: EmailMessage = _PARSER.parsebytes(raw, headersonly=not with_body)  # type: ignore[assignment]
    item = OutboxMessage(
        key=key, subject=str(message.get("Subject", "")), to=str(message.get("To", "")),
        sender=str(message.get("From", "")), date=datetime.fromtimestamp(_key_time(key)[0], UTC),
        headers=[(k, str(v)) for k, v in message.items()],
    )
    if with_body:
        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        item.text = text_part.get_content() if text_part is not None else ""
        item.html = html_part.get_content() if html_part is not None else None
        item.attachments = [part.get_filename() or "(sans nom)" for part in message.iter_attachments()]
    return item


def list_messages(path: str, page: int, per_page: int) -> Page[OutboxMessage]:
    box = open_maildir(path)
    keys = sorted(box.keys(), key=_key_time, reverse=True)
    page = max(1, page)
    chosen = keys[(page - 1) * per_page: page * per_page]
    return Page(items=[_parse(box, key, with_body=False) for key in chosen], total=len(keys), page=page,
                per_page=per_page)


def get_message(path: str, key: str) -> OutboxMessage | None:
    box = open_maildir(path)
    if "/" in key or key not in box:
        return None
    return _parse(box, key, with_body=True)


# --- Links that act for a person ---------------------------------------------------------------------

MASK = "[masqué]"
_URL = re.compile(r"https?://[^\s<>\"'`]+")
_ORIGIN = re.compile(r"^https?://[^/?#]*")
# Signed tokens (itsdangerous: payload.timestamp.signature) and random ones (secrets.token_urlsafe) are runs of
# these characters; a shorter run is a word, a number or an id.
_RUN = re.compile(r"[A-Za-z0-9_.-]{16,}")
_SHORTEST_SECRET = 16


def looks_like_token(text: str) -> bool:
    """A run of URL-safe characters shaped like a token: dotted like a signed one, or mixing capitals, small
    letters and digits like a random one (a slug, a date or an id does neither)."""
    if len(text) < _SHORTEST_SECRET or not _RUN.fullmatch(text):
        return False
    if text.count(".") >= 2:
        return True
    return any(c.isupper() for c in text) and any(c.islower() for c in text) and any(c.isdigit() for c in text)


def _route_token(url: str) -> str | None:
    """The ``<token>`` of the application's route ``url`` leads to (the URL map decides, under BASE_URL's path)."""
    path = unquote(urlsplit(url).path)
    prefix = urlsplit(current_app.config.get("BASE_URL") or "").path.rstrip("/")
    if prefix and path.startswith(f"{prefix}/"):
        path = path[len(prefix):]
    adapter = current_app.url_map.bind("localhost")
    for method in ("GET", "POST"):
        try:
            _endpoint, values = adapter.match(path, method=method)
        except HTTPException:  # not a route of ours, not with this method, or a redirect
            continue
        token = values.get("token")
        return token if isinstance(token, str) and token else None
    return None


def _mask_url(url: str) -> str:
    origin = _ORIGIN.match(url)
    head = origin.group(0) if origin else ""
    rest = url[len(head):]
    token = _route_token(url)
    if token:
        rest = "/".join(MASK if unquote(segment) == token else segment for segment in rest.split("/"))
    return head + _RUN.sub(lambda run: MASK if looks_like_token(run.group(0)) else run.group(0), rest)


def mask_links(message: OutboxMessage) -> OutboxMessage:
    """A copy of ``message`` where no link can act for its recipient: in the subject, the text, the HTML and the
    headers (List-Unsubscribe). A token found in one part is hidden wherever else it appears (the HTML part
    spells a URL with entities the text part does not have)."""
    parts = [message.subject, message.text, message.html or "", *(value for _, value in message.headers)]
    tokens = {token for part in parts for url in _URL.findall(part)
              if (token := _route_token(url)) and len(token) >= _SHORTEST_SECRET}

    def clean(text: str) -> str:
        text = _URL.sub(lambda match: _mask_url(match.group(0)), text)
        for token in sorted(tokens, key=len, reverse=True):
            text = text.replace(token, MASK)
        return text

    masked = replace(message, subject=clean(message.subject), text=clean(message.text),
                     html=clean(message.html) if message.html is not None else None,
                     headers=[(name, clean(value)) for name, value in message.headers])
    masked.links_masked = (masked.subject, masked.text, masked.html, masked.headers) != (
        message.subject, message.text, message.html, message.headers)
    return masked


def _recipients(box: mailbox.Maildir, key: str) -> set[str]:
    with box.get_file(key) as handle:
        headers = _PARSER.parse(handle, headersonly=True)  # type: ignore[arg-type]
    values = [str(value) for name in ("To", "Cc", "Bcc") for value in headers.get_all(name, [])]
    return {address.lower() for _, address in getaddresses(values) if address}


def remove_messages_to(path: str, addresses: set[str]) -> int:
    """Deletes the outbox messages sent to any of these addresses; returns how many."""
    if not Path(path, "cur").is_dir() and not Path(path, "new").is_dir():
        return 0
    box = open_maildir(path)
    wanted = {address.lower() for address in addresses}
    removed = 0
    for key in list(box.keys()):
        try:
            if _recipients(box, key) & wanted:
                box.discard(key)
                removed += 1
        except FileNotFoundError:  # read or removed by someone else meanwhile
            continue
    return removed


def forget_after_commit(addresses: list[str]) -> None:
    """Once the transaction commits (an erasure), the outbox loses every message sent to these addresses; a
    rollback keeps them. Files cannot roll back, hence after the commit rather than during the transaction."""
    after_commit(FORGET_KEY, (current_app.config["MAILDIR_PATH"], addresses))


@on_commit(FORGET_KEY)
def _forget_pending(pending: list[tuple[str, list[str]]]) -> None:
    by_path: dict[str, set[str]] = {}
    for path, addresses in pending:
        by_path.setdefault(path, set()).update(addresses)
    for path, addresses in by_path.items():
        try:
            removed = remove_messages_to(path, addresses)
        except OSError:
            log.exception("outbox %s: could not remove the messages of an erased person", path)
            continue
        if removed:
            log.info("outbox %s: %s message(s) of an erased person removed", path, removed)
