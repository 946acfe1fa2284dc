"""The sending pipeline for every kind of mail sent to a person (DESIGN.md §5).

Features queue ``Delivery`` rows (``queue_delivery``, ``queue_from_select``) and declare each kind of mail with
its renderer (``Feature(mail_kinds=[MailKind(...)])``, crm.consent.mail_kinds). The scheduler calls ``send_due``: it claims due rows in batches under a lease,
renders each for its recipient while the previous message is on the wire (the SMTP connection is held by a child
process, ``crm.mail.smtp_process``, so both really run at once), sends them over that one persistent connection,
and commits each batch's statuses, so a crash repeats at most one batch (``SEND_BATCH_SIZE``, default 50).
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_mail import Message
from sqlalchemy.orm import joinedload

from crm.consent.mail_kinds import mail_kind, receivable
from crm.db import utcnow
from crm.extensions import db
from crm.extensions import hooks
from crm.mail import claims
from crm.mail.claims import queue_delivery, queue_from_select, take_back_stale_claims
from crm.mail.mime import for_bulk
from crm.mail.models import Delivery, DeliveryStatus
from crm.mail.rendering import sender_domain
from crm.mail.throttle import Throttle
from crm.mail.transport import Wire, open_wire
from crm.partners.models import Contact

__all__ = ["SendReport", "queue_delivery", "queue_from_select", "request_stop", "send_due",
           "take_back_stale_claims"]

log = logging.getLogger(__name__)

# Features told of a 5xx refusal about an address at send time: ``hook(email, delivery_id=..., detail=...)``.
ADDRESS_FAILED_HOOK = "mail.address_failed"
MAX_CONSECUTIVE_DEFERRALS = 10
# Messages handed to the wire before the oldest is answered (a wire may say more: ``Wire.depth``, two per
# connection): with two, the SMTP child always has the next one while this process renders the one after.
WIRE_DEPTH = 2
MAX_BACKOFF = timedelta(hours=12)
_process_lock = threading.Lock()  # one sender per process; other processes are kept apart by the claims
_stop_requested = threading.Event()


def request_stop() -> None:
    """The process is shutting down (the scheduler got SIGINT or SIGTERM): the pass in progress ends once its
    current batch is sent and committed, and no new pass starts. Safe to call from a signal handler."""
    _stop_requested.set()


class _StopPass(Exception):
    """The relay is gone or refusing everything: the rest of the batch goes back to the queue."""


@dataclass
class SendReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    skipped: int = 0
    batches: int = 0
    stopped: str = ""
    errors: list[str] = field(default_factory=list)
    # Where the pass spent its time, in seconds: rendering messages, the database (claims, loading rows, the
    # recipient rule, statuses), the wire (handing messages to the SMTP children and waiting for answers),
    # and the per-second throttle. Measured with perf_counter around each step (a few µs per message).
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TIMED, 0.0))


TIMED = ("render", "database", "wire", "throttle")


class _Timed:
    """Adds the time spent in the block to ``report.timings[name]``."""

    __slots__ = ("timings", "name", "started")

    def __init__(self, report: SendReport, name: str) -> None:
        self.timings, self.name = report.timings, name

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timings[self.name] += time.perf_counter() - self.started


def _envelope_from(delivery: Delivery) -> str | None:
    """VERP: bounces+<delivery id>@domain, so a bounce names the delivery it is about."""
    bounce = current_app.config.get("BOUNCE_ADDRESS")
    if not bounce or "@" not in bounce:
        return None
    local, domain = bounce.rsplit("@", 1)
    return f"{local}+{delivery.id}@{domain}"


def _backoff(attempts: int) -> timedelta:
    base = current_app.config["SEND_RETRY_BASE_SECONDS"]
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _smtp_error(exc: Exception) -> tuple[int, str] | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return int(code), text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        return int(exc.smtp_code), text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return None


def _is_address_failure(exc: Exception, text: str) -> bool:
    """A 5xx at RCPT is about the address; at DATA only when the enhanced code says so (5.1.x, 5.2.x)."""
    return isinstance(exc, smtplib.SMTPRecipientsRefused) or text.lstrip().startswith(("5.1.", "5.2."))


def _recipient_language(delivery: Delivery) -> str:
    """Mail speaks the recipient's language (French by default), whoever's request or command sends it: a page
    read in English must not send a French contact an English mail."""
    config = current_app.config
    language = getattr(delivery.contact, "language", None)
    return language if language in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


def _receivable_statement(code: str) -> sa.Select[Any] | None:
    """The deliveries of kind ``code`` in a claimed batch (``:token``) whose recipient may receive that kind of
    mail now (crm.consent.mail_kinds); None for a kind nobody declared."""
    kind = mail_kind(code)
    if kind is None:
        return None
    return (sa.select(Delivery.id).join(Contact, Contact.id == Delivery.contact_id)
            .where(Delivery.claim_token == sa.bindparam("token"), Delivery.kind == code,
                   receivable(kind, kind.delivery_topic() if kind.delivery_topic else None)))


def _receivable_ids(token: str, rows: list[Delivery],
                    statements: dict[str, sa.Select[Any] | None] | None = None) -> set[int]:
    """The deliveries of a batch whose recipient may receive that kind of mail now: one query per kind in the
    batch. ``statements`` keeps each kind's statement for the whole pass (building the rule's expression
    costs more than running it)."""
    statements = {} if statements is None else statements
    allowed: set[int] = set()
    for code in {row.kind for row in rows}:
        if code not in statements:
            statements[code] = _receivable_statement(code)
        statement = statements[code]
        if statement is not None:
            allowed.update(db.session.scalars(statement, {"token": token}))
    return allowed


class _Batch:
    """One claimed batch: its rows, and the outcome of each, written together once all are known."""

    def __init__(self, token: str, rows: list[Delivery]) -> None:
        self.token, self.rows = token, rows
        self.outcomes: list[dict[str, Any]] = []
        self.submitted = False  # every message of the batch has been handed to the wire

    def outcome(self, delivery: Delivery, status: DeliveryStatus, *, tried: int = 0, error: str | None = None,
                next_at: datetime | None = None, message_id: str | None = None,
                sent_at: datetime | None = None) -> None:
        self.outcomes.append({"id": delivery.id, "token": self.token, "status": status.value, "tried": tried,
                              "next": next_at or delivery.next_attempt_at, "error": error[:500] if error else None,
                              "message_id": message_id, "sent_at": sent_at})

    def unsettled_ids(self) -> list[int]:
        settled = {outcome["id"] for outcome in self.outcomes}
        return [row.id for row in self.rows if row.id not in settled]

    def write(self) -> None:
        claims.record_outcomes(self.outcomes)
        db.session.commit()


class _Pass:
    """One sending pass: the messages of batch after batch in one stream to the wire. The next message is
    rendered while earlier ones (up to WIRE_DEPTH) are on the wire, and a batch's last messages are still there
    while the next batch is claimed, loaded and its first message rendered, so the relay's round trips overlap
    with this process's work. Outcomes are settled in order; a batch's are written and committed once all of
    them are known, and before the next batch's first message is handed over."""

    def __init__(self, wire: Wire, throttle: Throttle, report: SendReport) -> None:
        self.wire, self.throttle, self.report = wire, throttle, report
        self.in_flight: deque[tuple[_Batch, Delivery, Message]] = deque()
        self.unwritten: deque[_Batch] = deque()
        self.consecutive_deferrals = 0
        self.domain = sender_domain()
        self.max_attempts = current_app.config["SEND_MAX_ATTEMPTS"]
        self.depth = getattr(wire, "depth", WIRE_DEPTH)
        self.receivable_statements: dict[str, sa.Select[Any] | None] = {}
        self.locale = str(get_locale())

    def send(self, batch: _Batch) -> None:
        self.unwritten.append(batch)
        with _Timed(self.report, "database"):
            allowed = _receivable_ids(batch.token, batch.rows, self.receivable_statements)
        released: set[int] = set()
        for delivery in batch.rows:
            if delivery.id in released:
                continue
            with _Timed(self.report, "render"):
                message = self.prepare(batch, delivery, allowed)
            if message is None:
                continue
            # The previous batch is settled and committed before this one's first message leaves: a crash
            # repeats at most one batch.
            if self.in_flight and self.in_flight[0][0] is not batch:
                while self.in_flight and self.in_flight[0][0] is not batch:
                    self.settle_oldest()
                # This batch was claimed while the previous one was on the wire: what was held meanwhile (a
                # campaign paused) goes back to the queue unsent.
                with _Timed(self.report, "database"):
                    released = self.release_held(batch)
                if delivery.id in released:
                    continue
            if len(self.in_flight) >= self.depth:
                self.settle_oldest()
            with _Timed(self.report, "throttle"):
                self.throttle.wait()
            with _Timed(self.report, "wire"):
                self.wire.submit(message, _envelope_from(delivery))
                if self.throttle.interval:  # spaced by the throttle: each message leaves at its time
                    self.wire.flush()
            self.in_flight.append((batch, delivery, message))
        self.wire.flush()  # the children go on while this process claims and loads the next batch
        batch.submitted = True
        self.write_finished()

    def release_held(self, batch: _Batch) -> set[int]:
        """Rows of the batch no longer claimable (``mail.claim_filter`` hooks) are released; returns their ids."""
        kept = claims.still_claimable(batch.token)
        held = {row.id for row in batch.rows if row.id not in kept} - {o["id"] for o in batch.outcomes}
        if held:
            claims.release(batch.token, sorted(held))
            batch.rows = [row for row in batch.rows if row.id not in held]
        return held

    def finish(self) -> None:
        while self.in_flight:
            self.settle_oldest()
        self.write_finished()

    def abandon(self, reason: str | None) -> None:
        """After a failure: with a reason (the relay stopped), the rows not sent go back to the queue; in any
        case the outcomes known are written (rows left claimed wait for the lease)."""
        if reason is not None and self.in_flight:
            # The oldest message failed; those behind it on other connections may have been accepted: they are
            # recorded as sent (not sent again by the next pass).
            settle_rest = getattr(self.wire, "settle_after_failure", None)
            accepted = settle_rest() if settle_rest is not None else []
            for (batch, delivery, message), ok in zip(list(self.in_flight)[1:], accepted, strict=False):
                if ok:
                    batch.outcome(delivery, DeliveryStatus.SENT, tried=1, message_id=message.msgId,
                                  sent_at=utcnow())
                    self.throttle.sent()
                    self.report.sent += 1
            self.in_flight.clear()
        while self.unwritten:
            batch = self.unwritten.popleft()
            if reason is not None:
                claims.release(batch.token, batch.unsettled_ids(), error=reason)
            batch.write()

    def settle_oldest(self) -> None:
        self.settle(*self.in_flight[0])
        self.in_flight.popleft()
        self.write_finished()

    def write_finished(self) -> None:
        while (self.unwritten and self.unwritten[0].submitted
               and not (self.in_flight and self.in_flight[0][0] is self.unwritten[0])):
            with _Timed(self.report, "database"):
                self.unwritten.popleft().write()

    def prepare(self, batch: _Batch, delivery: Delivery, allowed: set[int]) -> Message | None:
        """The message for this delivery, or None once its outcome (skipped, failed) is recorded."""
        kind = mail_kind(delivery.kind)
        if kind is None:
            batch.outcome(delivery, DeliveryStatus.FAILED, error=f"aucun rendu pour le type « {delivery.kind} »")
            self.report.failed += 1
            return None
        if delivery.id not in allowed:
            batch.outcome(delivery, DeliveryStatus.SKIPPED, error="destinataire exclu (désinscription, "
                                                                  "opposition, rejet ou effacement)")
            self.report.skipped += 1
            return None
        try:
            language = _recipient_language(delivery)
            if language == self.locale:  # already the pass's language: no switch (a tenth of a render)
                message = kind.render(delivery)
            else:
                with force_locale(language):
                    message = kind.render(delivery)
        except Exception as exc:  # a rendering bug must not stop the whole campaign
            log.exception("rendering delivery %s failed", delivery.id)
            batch.outcome(delivery, DeliveryStatus.FAILED, error=f"erreur de rendu : {exc}")
            self.report.failed += 1
            return None
        if message is None:
            batch.outcome(delivery, DeliveryStatus.SKIPPED, error="rien à envoyer")
            self.report.skipped += 1
            return None
        message.msgId = make_msgid(idstring=f"d{delivery.id}", domain=self.domain)
        message.date = time.time()
        for_bulk(message)
        message.serialised = message.as_bytes()  # type: ignore[attr-defined]  # here, while the wire is busy
        return message

    def settle(self, batch: _Batch, delivery: Delivery, message: Message) -> None:
        """Waits for the relay's answer about one message and records it."""
        try:
            with _Timed(self.report, "wire"):
                self.wire.result()
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
            code, text = _smtp_error(exc) or (0, str(exc))
            if code == 421 or isinstance(exc, smtplib.SMTPSenderRefused):  # about us or the relay, not the person
                raise _StopPass(f"{code} {text}") from exc
            deferred = self.refused(batch, delivery, code, text, address_failure=_is_address_failure(exc, text))
            self.consecutive_deferrals = self.consecutive_deferrals + 1 if deferred else 0
            if self.consecutive_deferrals >= MAX_CONSECUTIVE_DEFERRALS:
                raise _StopPass("le relais refuse temporairement tous les messages") from exc
            return
        except (smtplib.SMTPException, OSError) as exc:  # connection lost, timeout
            raise _StopPass(f"connexion au relais perdue : {exc}") from exc
        self.consecutive_deferrals = 0
        batch.outcome(delivery, DeliveryStatus.SENT, tried=1, message_id=message.msgId, sent_at=utcnow())
        self.throttle.sent()
        self.report.sent += 1

    def refused(self, batch: _Batch, delivery: Delivery, code: int, text: str, *, address_failure: bool) -> bool:
        error = f"{code} {text}".strip()
        self.report.errors.append(error)
        if 400 <= code < 500 and delivery.attempts + 1 < self.max_attempts:
            batch.outcome(delivery, DeliveryStatus.QUEUED, tried=1, error=error,
                         next_at=utcnow() + _backoff(delivery.attempts + 1))
            self.report.deferred += 1
            return True
        batch.outcome(delivery, DeliveryStatus.FAILED, tried=1, error=error)
        self.report.failed += 1
        if code >= 500 and address_failure and delivery.contact is not None and delivery.contact.email:
            for hook in hooks(ADDRESS_FAILED_HOOK):
                hook(delivery.contact.email, delivery_id=delivery.id, detail=f"SMTP {error}")
        return False


def _sent_last_hour() -> int:
    since = utcnow() - timedelta(hours=1)
    return db.session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(Delivery.sent_at >= since)) or 0


def make_throttle() -> Throttle:
    config = current_app.config
    return Throttle(float(config["SEND_RATE_PER_SECOND"]), int(config["SEND_RATE_PER_HOUR"]), _sent_last_hour)


def send_due(*, max_batches: int | None = None, throttle: Throttle | None = None,
             only_ids: list[int] | None = None) -> SendReport:
    """Sends every due delivery of any kind (or only those of ``only_ids``), batch after batch, until none is
    left (or the hourly budget is spent, or the relay fails). Safe to run in several processes at once.
    Commits after every batch."""
    report = SendReport()
    if not _process_lock.acquire(blocking=False):
        report.stopped = "un envoi est déjà en cours dans ce processus"
        return report
    try:
        _send_due(report, max_batches, throttle or make_throttle(), only_ids)
    finally:
        _process_lock.release()
    return report


def _send_due(report: SendReport, max_batches: int | None, throttle: Throttle, only_ids: list[int] | None) -> None:
    config = current_app.config
    if only_ids is None:
        take_back_stale_claims(config["SEND_LEASE_SECONDS"])
        db.session.commit()
    # Rows deferred during this pass are due later than its start: they are not retried in a loop.
    started = utcnow()
    if not claims.has_due(started, only_ids):
        return
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False  # see below
    try:
        with open_wire() as wire:
            stream = _Pass(wire, throttle, report)
            try:
                _stream_batches(stream, report, max_batches, throttle, started, only_ids)
            except _StopPass as exc:
                stream.abandon(str(exc))
                raise
            except BaseException:
                stream.abandon(None)
                raise
    except _StopPass as exc:
        report.stopped = str(exc)
        log.warning("sending stopped: %s", exc)
    except (smtplib.SMTPException, OSError) as exc:  # could not connect: nothing was claimed
        db.session.rollback()
        report.stopped = f"relais injoignable : {exc}"
        log.warning("relay unreachable: %s", exc)
    finally:
        session.expire_on_commit = expire_on_commit


def _stream_batches(stream: _Pass, report: SendReport, max_batches: int | None, throttle: Throttle,
                    started: datetime, only_ids: list[int] | None) -> None:
    """Claims and sends batch after batch. The next batch is claimed while this one is rendered and sent (in a
    thread with its own session: the claim's write and commit are round trips to the database, during which
    rendering goes on), and loaded while the previous one's last messages are on the wire; its outcomes are
    committed meanwhile, which must not expire the rows already loaded (hence no expiry on commit during a
    pass: every row is read fresh by the query of its own batch). A claim made ahead and not sent (the pass
    stops) is released at once."""
    batch_size = current_app.config["SEND_BATCH_SIZE"]
    ahead = _ClaimAhead(current_app._get_current_object(), started, only_ids)  # type: ignore[attr-defined]
    try:
        while max_batches is None or report.batches < max_batches:
            if _stop_requested.is_set():
                report.stopped = "arrêt du processus demandé"
                break
            allowance = throttle.hourly_allowance()
            if allowance is not None:
                allowance -= len(stream.in_flight)  # sent, as far as the hourly limit is concerned
                if allowance <= 0:
                    report.stopped = "limite horaire atteinte"
                    break
            limit = batch_size if allowance is None else min(allowance, batch_size)
            with _Timed(report, "database"):
                token = ahead.take(limit)
                if token is None:
                    break
                report.batches += 1
                rows = list(db.session.scalars(
                    sa.select(Delivery).options(joinedload(Delivery.contact))
                    .where(Delivery.claim_token == token).order_by(Delivery.id)
                    .execution_options(populate_existing=True)
                ))
            if max_batches is None or report.batches < max_batches:
                following = batch_size if allowance is None else min(allowance - len(rows), batch_size)
                if following > 0:
                    ahead.start(following)
            stream.send(_Batch(token, rows))
        stream.finish()
    finally:
        ahead.close()


class _ClaimAhead:
    """The next batch's claim, made in a thread of its own (its own application context, so its own session and
    connection) while the current batch is rendered and sent."""

    def __init__(self, app: Any, started: datetime, only_ids: list[int] | None) -> None:
        self.app, self.started, self.only_ids = app, started, only_ids
        self.executor: ThreadPoolExecutor | None = None
        self.pending: Future[str | None] | None = None
        self.pending_limit = 0

    def _in_context(self, work: Any, *args: Any) -> Any:
        with self.app.app_context():
            return work(*args)

    def start(self, limit: int) -> None:
        if self.executor is None:
            self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-claim")
        self.pending_limit = limit
        self.pending = self.executor.submit(self._in_context, self._claim, limit)

    def _claim(self, limit: int) -> str | None:
        return claims.claim_batch(limit, self.started, only_ids=self.only_ids)

    def take(self, limit: int) -> str | None:
        """The token of the next batch: the claim made ahead if it is not larger than ``limit``, else a claim now."""
        pending, self.pending = self.pending, None
        if pending is not None:
            token = _wait_for(pending)
            if token is None or self.pending_limit <= limit:
                return token
            self._release(token)  # the hourly allowance shrank meanwhile: claimed again at the right size
        return self._claim(limit)

    def _release(self, token: str) -> None:
        assert self.executor is not None
        _wait_for(self.executor.submit(self._in_context, claims.release_claim, token))

    def close(self) -> None:
        """A claim made ahead that will not be sent goes back to the queue."""
        pending, self.pending = self.pending, None
        try:
            if pending is not None:
                token = _wait_for(pending)
                if token is not None:
                    self._release(token)
        finally:
            if self.executor is not None:
                self.executor.shutdown(wait=True)


def _wait_for(future: Future[Any]) -> Any:
    """The result of the claim thread's work, its failure re-raised here. If it is not done, this session first
    commits what it wrote meanwhile (a renderer's mark, as an invitation's ``sent_at``; a hook's suppression): on
    SQLite, one writer at a time, the thread could be waiting for this session's lock while this session waits
    for the thread, until the lock's timeout ("database is locked")."""
    if not future.done():
        db.session.commit()
    return future.result()
