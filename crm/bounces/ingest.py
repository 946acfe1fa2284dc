"""Reading delivery status notifications from a Maildir or an IMAP mailbox (flufl.bounce recognises them)."""

from __future__ import annotations

import base64
import email
import hashlib
import imaplib
import logging
import mailbox
import re
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flufl.bounce import all_failures

from crm.bounces.matching import quoted_deliveries, tie
from crm.bounces.models import Bounce
from crm.bounces.services import BounceOutcome, record_bounce, record_unmatched
from crm.extensions import db
from crm.forms import InvalidEmail, email_hash, normalize_email

log = logging.getLogger(__name__)
SEEN = "S"
IMAP_TIMEOUT_SECONDS = 60  # a stalled server must not hold the scheduler's bounce job forever


@dataclass
class IngestReport:
    messages: int = 0
    not_bounces: int = 0
    already_read: int = 0  # reports recorded by an earlier run that stopped before marking them seen
    suppressed: list[str] = field(default_factory=list)
    scored: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # tied to no delivery of ours: not applied


def _addresses(raw: frozenset[bytes]) -> set[str]:
    addresses = set()
    for item in raw:
        try:
            addresses.add(normalize_email(item.decode("utf-8", "replace")))
        except InvalidEmail:
            log.info("ignoring unparsable bounced address %r", item)
    return addresses


def process_message(raw: bytes, report: IngestReport) -> None:
    """One message: each permanently failed address is suppressed, each temporary one scored. Flushes."""
    report.messages += 1
    key = hashlib.sha256(raw).hexdigest()
    if db.session.scalar(sa.select(Bounce.id).where(Bounce.report_key == key).limit(1)) is not None:
        report.already_read += 1
        return
    message = email.message_from_bytes(raw)
    temporary, permanent = all_failures(message)
    if not temporary and not permanent:
        report.not_bounces += 1
        return
    quoted = quoted_deliveries(message)
    permanent_addresses = _addresses(permanent)
    for address, is_permanent in [*((a, True) for a in sorted(permanent_addresses)),
                                  *((a, False) for a in sorted(_addresses(temporary) - permanent_addresses))]:
        kind = "rejet définitif" if is_permanent else "rejet temporaire"
        tied = tie(address, quoted)
        if tied is None:
            log.warning("bounce report %s about %s… tied to no delivery of ours: counted, not applied",
                        key[:12], email_hash(address)[:12])
            record_unmatched(address, permanent=is_permanent, report_key=key,
                             detail=f"{kind} (DSN) rattaché à aucun envoi")
            report.unmatched.append(address)
            continue
        delivery_id, matched_by = tied
        outcome = record_bounce(address, permanent=is_permanent, delivery_id=delivery_id, source="dsn",
                                detail=f"{kind} (DSN)", report_key=key, matched_by=matched_by)
        if outcome is BounceOutcome.SUPPRESSED:
            report.suppressed.append(address)
        elif outcome is BounceOutcome.SCORED:
            report.scored.append(address)


def _ingest(messages: Iterator[tuple[bytes, Callable[[], None]]]) -> IngestReport:
    """Each message is processed and committed before it is marked seen: after a crash it is read again, never lost."""
    report = IngestReport()
    for raw, mark_seen in messages:
        process_message(raw, report)
        db.session.commit()
        mark_seen()
    return report


def _maildir_messages(path: str) -> Iterator[tuple[bytes, Callable[[], None]]]:
    for sub in ("tmp", "new", "cur"):
        (Path(path) / sub).mkdir(parents=True, exist_ok=True)
    box = mailbox.Maildir(path, factory=None, create=False)

    def mark_seen(key: str) -> None:
        message = box.get_message(key)
        message.set_subdir("cur")
        message.add_flag(SEEN)
        box[key] = message

    for key in list(box.keys()):
        if SEEN in box.get_message(key).get_flags():
            continue
        with box.get_file(key) as handle:
            raw = handle.read()
        yield raw, partial(mark_seen, key)


def ingest_maildir(path: str) -> IngestReport:
    """Reads every unseen message, then marks it seen; commits after each message."""
    return _ingest(_maildir_messages(path))


class MailboxError(Exception):
    """The bounce mailbox cannot be read; the message (in French) says why and which setting to check."""


def _mailbox_name(folder: str) -> str:
    """The folder as IMAP wants it and imaplib does not do: non-ASCII in modified UTF-7 (RFC 3501, 5.1.3),
    then quoted if it holds a space or another special character ("Retours reçus" -> "Retours re&AOc-us")."""
    if folder.startswith('"'):  # already written for the wire
        return folder

    def utf7(run: re.Match[str]) -> str:
        return "&" + base64.b64encode(run[0].encode("utf-16-be")).decode("ascii").rstrip("=").replace("/", ",") + "-"

    name = re.sub(r"[^ -~]+", utf7, folder.replace("&", "&-"))
    if not re.search(r'[\s"\\(){%*\]]', name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_connect(host: str, port: int, cafile: str | None) -> imaplib.IMAP4_SSL:
    """IMAPS with the certificate and the host name verified (imaplib's own default context checks neither)."""
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise MailboxError(f"Fichier d'autorités de certification illisible : {cafile} "
                           f"(BOUNCE_IMAP_CA_FILE) : {exc}.") from exc
    try:
        return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=IMAP_TIMEOUT_SECONDS)
    except imaplib.IMAP4.error as exc:  # no greeting, or a BYE instead
        raise MailboxError(f"Le serveur IMAP {host}:{port} a refusé la connexion : {exc}.") from exc
    except ssl.SSLCertVerificationError as exc:
        raise MailboxError(f"Certificat du serveur IMAP {host}:{port} refusé : {exc.verify_message}. Si son "
                           "autorité de certification n'est pas celle d'un certificat public, indiquez son "
                           "fichier dans BOUNCE_IMAP_CA_FILE.") from exc
    except ssl.SSLError as exc:
        raise MailboxError(f"Échec de la connexion chiffrée (TLS) au serveur IMAP {host}:{port} : "
                           f"{exc.reason or exc}. Le port doit être celui d'IMAPS (993 en général).") from exc
    except OSError as exc:
        raise MailboxError(f"Serveur IMAP {host}:{port} injoignable : {exc.strerror or exc}.") from exc


def _uid(imap: imaplib.IMAP4_SSL, host: str, command: str, *args: Any) -> list[Any]:
    """A UID command whose refusal (NO) stops the run; imaplib raises only on BAD."""
    status, data = imap.uid(command, *args)
    if status != "OK":
        raise MailboxError(f"Le serveur IMAP {host} refuse la commande UID {command} : {data!r}.")
    return data


def _imap_messages(imap: imaplib.IMAP4_SSL, host: str, user: str, password: str,
                   folder: str) -> Iterator[tuple[bytes, Callable[[], None]]]:
    try:
        if (user + password).isascii():
            imap.login(user, password)
        else:  # LOGIN is ASCII only (imaplib cannot even send it); SASL PLAIN carries UTF-8 (RFC 4616)
            credentials = f"\0{user}\0{password}".encode()
            imap.authenticate("PLAIN", lambda _challenge: credentials)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise MailboxError(f"Le serveur IMAP {host} refuse l'identifiant « {user} » ou son mot de passe "
                           "(BOUNCE_IMAP_USER, BOUNCE_IMAP_PASSWORD).") from exc
    try:
        status, _ = imap.select(_mailbox_name(folder))
    except imaplib.IMAP4.readonly as exc:
        raise MailboxError(f"Dossier « {folder} » en lecture seule sur le serveur IMAP {host} : les messages "
                           "ne pourraient pas y être marqués comme lus.") from exc
    if status != "OK":
        raise MailboxError(f"Dossier « {folder} » introuvable sur le serveur IMAP {host} (BOUNCE_IMAP_FOLDER).")
    # UIDs, not sequence numbers: another client expunging meanwhile would shift the numbers.
    for uid in _uid(imap, host, "SEARCH", None, "UNSEEN")[0].split():
        parts = _uid(imap, host, "FETCH", uid, "(BODY.PEEK[])")
        # The server may slip in updates about other messages: keep the literal that is this message's body.
        raw = next((p[1] for p in parts if isinstance(p, tuple) and b"BODY[]" in p[0].upper()), None)
        if raw is None:
            log.warning("IMAP message %s in %s: no body returned, left unseen", uid.decode(), folder)
            continue
        yield raw, partial(_uid, imap, host, "STORE", uid, "+FLAGS", "(\\Seen)")


def ingest_imap(host: str, user: str, password: str, folder: str = "INBOX", *, port: int = 993,
                cafile: str | None = None) -> IngestReport:
    """Reads unseen messages over IMAPS, marks each seen once processed and committed.

    Raises MailboxError when the server cannot be reached, is not trusted, refuses the login or lacks the folder.
    """
    with _imap_connect(host, port, cafile) as imap:
        try:
            return _ingest(_imap_messages(imap, host, user, password, folder))
        except (imaplib.IMAP4.abort, OSError) as exc:
            # Messages already committed are marked seen; the one in flight stays unseen and is read again.
            raise MailboxError(f"Connexion au serveur IMAP {host}:{port} interrompue : {exc}. "
                               "Les messages restants seront lus au prochain passage.") from exc


def ingest_configured(*, maildir: str | None = None, imap_host: str | None = None) -> IngestReport | None:
    """The mailbox given, else whatever mailbox the configuration names; None when there is none.

    A host given here is read with the BOUNCE_IMAP_* credentials, port and certificate authority.
    """
    config = current_app.config
    if maildir or (not imap_host and config.get("BOUNCE_MAILDIR")):
        return ingest_maildir(maildir or config["BOUNCE_MAILDIR"])
    host = imap_host or config.get("BOUNCE_IMAP_HOST")
    if host:
        return ingest_imap(host, config["BOUNCE_IMAP_USER"] or "", config["BOUNCE_IMAP_PASSWORD"] or "",
                           config["BOUNCE_IMAP_FOLDER"], port=config["BOUNCE_IMAP_PORT"],
                           cafile=config["BOUNCE_IMAP_CA_FILE"])
    return None
