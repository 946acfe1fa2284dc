"""One persistent SMTP connection held by a child process, for the sending pipeline.

The pipeline renders message i+1 while message i is on the wire. Within one process both compete for the GIL:
each of the four round trips of an SMTP transaction (MAIL, RCPT, DATA, the message) waits for the renderer to let
go of it, and most of the overlap is lost (``benchmarks/send_throughput.py`` measured about half the rate of a
plain smtplib loop). A child process that does nothing but talk SMTP makes the overlap real.

This module imports only the standard library: the parent starts it as a script (``python -P smtp_process.py``),
which takes a tenth of the time importing the application would. The two talk over the child's stdin and stdout
in frames (a 4-byte length, then a pickle); the parent only ever reads its own child. The child lives as long as
its stdin and its parent: when the parent ends, even killed, the child finishes the message in hand, sends none
of those queued after it, and quits.

Child side: ``serve``. Parent side: ``SmtpProcess`` (``submit`` one message, then ``result`` before the next).
"""

from __future__ import annotations

import io
import os
import pickle
import select
import signal
import smtplib
import struct
import subprocess
import sys
from collections import deque
from dataclasses import asdict, dataclass
from typing import IO, Any

_LENGTH = struct.Struct("!I")
FRAMES_PER_WRITE = 4


@dataclass(frozen=True)
class RelaySettings:
    """What Flask-Mail's ``Connection.configure_host`` uses, plus a socket timeout (a hung relay must not hang
    the sender for ever) and ``max_emails`` (a new SMTP session after so many messages, like MAIL_MAX_EMAILS)."""

    host: str
    port: int
    use_ssl: bool = False
    use_tls: bool = False
    username: str | None = None
    password: str | None = None
    max_emails: int | None = None
    timeout: float = 120.0


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipients: list[str]
    data: bytes
    mail_options: tuple[str, ...] = ()
    rcpt_options: tuple[str, ...] = ()


def _frame(value: Any) -> bytes:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(payload)) + payload


def _write(stream: IO[bytes], value: Any) -> None:
    stream.write(_frame(value))
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    """The next frame, or None at the end of the stream."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(header)
    payload = stream.read(length)
    if len(payload) < length:
        return None
    return pickle.loads(payload)


def _portable(exc: BaseException) -> Exception:
    """The exception as the parent should see it: smtplib's and OSError's as they are (they pickle), anything
    else as an SMTPException carrying its text."""
    if isinstance(exc, (smtplib.SMTPException, OSError)):
        try:
            pickle.loads(pickle.dumps(exc))
            return exc
        except Exception:  # an exception whose arguments do not pickle
            pass
    return smtplib.SMTPException(f"{type(exc).__name__}: {exc}")


def connect(settings: RelaySettings) -> smtplib.SMTP:
    smtp_class = smtplib.SMTP_SSL if settings.use_ssl else smtplib.SMTP
    connection = smtp_class(settings.host, settings.port, timeout=settings.timeout)
    if settings.use_tls:
        connection.starttls()
    if settings.username and settings.password:
        connection.login(settings.username, settings.password)
    return connection


class _Frames:
    """Frames from the parent, read straight from the file descriptor, so the child can tell whether the next
    message has arrived without waiting for it (``peek``). A stream without a descriptor is read as it is."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        try:
            self.fd: int | None = stream.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            self.fd = None
        self.buffer = bytearray()
        self.start = 0  # where the next frame begins in the buffer (what is before it was read)
        self.peeked: tuple[Any, int] | None = None  # the next frame, already decoded by ``peek``, and its end
        self.eof = False

    def _fill(self, block: bool) -> bool:
        if self.eof:
            return False
        if self.fd is None:
            data = self.stream.read(1 << 16)
        else:
            if not block and not select.select([self.fd], [], [], 0)[0]:
                return False
            data = os.read(self.fd, 1 << 16)
        if not data:
            self.eof = True
            return False
        if self.start:  # frames already read leave the buffer once per read, not once per frame
            del self.buffer[:self.start]
            self.start = 0
        self.buffer += data
        return True

    def _end(self) -> int | None:
        if len(self.buffer) - self.start < _LENGTH.size:
            return None
        end = self.start + _LENGTH.size + _LENGTH.unpack_from(self.buffer, self.start)[0]
        return end if len(self.buffer) >= end else None

    def peek(self) -> Any:
        """The next frame if it has fully arrived (not consumed), else None, without waiting."""
        if self.peeked is not None:
            return self.peeked[0]
        while (end := self._end()) is None:
            if not self._fill(block=False):
                return None
        frame = pickle.loads(self.buffer[self.start + _LENGTH.size:end])
        self.peeked = (frame, end)
        return frame

    def next(self) -> Any:
        """The next frame, or None at the end of the stream."""
        if self.peeked is not None:
            (frame, self.start), self.peeked = self.peeked, None
            return frame
        while (end := self._end()) is None:
            if not self._fill(block=True):
                return None
        frame = pickle.loads(self.buffer[self.start + _LENGTH.size:end])
        self.start = end
        return frame


class _Session:
    """One SMTP session, pipelined where the relay advertises PIPELINING (RFC 2920): MAIL, RCPT and DATA go in
    one write, and a message's content goes in the same write as the next message's MAIL, RCPT and DATA when
    that message is already waiting: one round trip per message instead of four. Raises what
    ``smtplib.SMTP.sendmail`` raises in the same cases (the pipeline classifies refusals by these classes)."""

    def __init__(self, connection: smtplib.SMTP) -> None:
        self.connection = connection
        connection.ehlo_or_helo_if_needed()
        self.pipelining = connection.has_extn("pipelining")
        # The message whose MAIL, RCPT and DATA went out with the previous content, answers not read yet.
        self.opened: Envelope | None = None

    def _opening(self, envelope: Envelope) -> bytes:
        mail_options = list(envelope.mail_options)
        if self.connection.has_extn("size"):
            mail_options.append(f"size={len(envelope.data)}")
        rcpt_options = "".join(f" {option}" for option in envelope.rcpt_options)
        commands = [f"MAIL FROM:{smtplib.quoteaddr(envelope.sender)}" + "".join(f" {o}" for o in mail_options),
                    *(f"RCPT TO:{smtplib.quoteaddr(address)}{rcpt_options}" for address in envelope.recipients),
                    "DATA", ""]
        return "\r\n".join(commands).encode("ascii")

    def _opened(self, envelope: Envelope) -> None:
        """Reads the answers to MAIL, RCPT and DATA; raises (after a reset) unless the relay waits for the
        content."""
        connection = self.connection
        mail_code, mail_reply = connection.getreply()
        refused: dict[str, tuple[int, bytes]] = {}
        for address in envelope.recipients:
            code, reply = connection.getreply()
            if code not in (250, 251):
                refused[address] = (code, reply)
        data_code, data_reply = connection.getreply()
        if mail_code == 250 and len(refused) < len(envelope.recipients) and data_code == 354:
            return
        if data_code == 354:  # waits for a message it must not deliver: only dropping the session is safe
            connection.close()
            raise smtplib.SMTPServerDisconnected("session abandoned")
        if mail_code == 421 or data_code == 421:
            connection.close()
        else:
            _reset(connection)
        if mail_code != 250:
            raise smtplib.SMTPSenderRefused(mail_code, mail_reply, envelope.sender)
        if len(refused) == len(envelope.recipients):
            raise smtplib.SMTPRecipientsRefused(refused)
        raise smtplib.SMTPDataError(data_code, data_reply)

    def send(self, envelope: Envelope, following: Envelope | None = None) -> None:
        """Sends ``envelope``; with ``following`` (the next message, already here), opens its transaction in
        the same write as this one's content. The caller then sends ``following`` through this session."""
        if not self.pipelining:
            self.connection.sendmail(envelope.sender, envelope.recipients, envelope.data,
                                     list(envelope.mail_options), list(envelope.rcpt_options))
            return
        if "smtputf8" in (option.lower() for option in envelope.mail_options) and \
                not self.connection.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError("SMTPUTF8 not supported by server")
        if self.opened is None:
            self.connection.send(self._opening(envelope))
            self.opened = envelope
        opened, self.opened = self.opened, None
        assert opened == envelope, "messages sent out of order"
        self._opened(envelope)  # after a failure, a message opened ahead was never opened: ``following`` waits
        data = smtplib._quote_periods(envelope.data)  # type: ignore[attr-defined]
        if data[-2:] != b"\r\n":
            data += b"\r\n"
        data += b".\r\n"
        if following is not None:
            data += self._opening(following)
            self.opened = following
        self.connection.send(data)
        code, reply = self.connection.getreply()
        if code != 250:
            if self.opened is not None:  # the next message's answers are in the way
                try:
                    self.opened, opened_ahead = None, self.opened
                    self._opened(opened_ahead)
                    self.connection.close()  # the relay waits for its content: drop the session
                except smtplib.SMTPException:
                    pass
            if code == 421:
                self.connection.close()
            elif self.connection.sock is not None:
                _reset(self.connection)
            raise smtplib.SMTPDataError(code, reply)


def send_message(connection: smtplib.SMTP, envelope: Envelope) -> None:
    """One message over ``connection`` (pipelined where the relay advertises it)."""
    _Session(connection).send(envelope)


def _reset(connection: smtplib.SMTP) -> None:
    try:
        connection.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """The child: connect, answer ("ready", None) or ("error", exc), then for each ("send", envelope) answer
    ("sent", None) or ("error", exc), until ("quit", None) or the end of the input.

    After an error, the messages already queued behind it are answered ("held", None) and not sent, until the
    parent, having seen the error, says ("go", None): it may instead stop (a relay gone, or refusing everything)."""
    frames = _Frames(requests)
    frame = frames.next()
    if frame is None:
        return
    settings = RelaySettings(**frame)
    try:
        session: _Session | None = _Session(connect(settings))
    except Exception as exc:
        _write(replies, ("error", _portable(exc)))
        return
    _write(replies, ("ready", None))
    _serve_messages(frames, replies, settings, session)


def _serve_messages(frames: _Frames, replies: IO[bytes], settings: RelaySettings, session: _Session | None) -> None:
    in_session, held, parent = 0, False, os.getppid()
    unflushed = 0  # answers "sent" written but not flushed: flushed in groups, and before waiting for input
    try:
        while True:
            if unflushed and (unflushed >= FRAMES_PER_WRITE or frames.peek() is None):
                replies.flush()
                unflushed = 0
            frame = frames.next()
            if frame is None or frame[0] not in ("send", "go"):
                break
            if frame[0] == "go":
                held = False
                continue
            if os.getppid() != parent:  # the sender died: what it queued could not be recorded as sent
                break
            if held:
                _write(replies, ("held", None))
                continue
            envelope = Envelope(*frame[1])
            try:
                if session is None or session.connection.sock is None:
                    # A new session after max_emails or after one dropped: opened for the message that needs it.
                    session, in_session = _Session(connect(settings)), 0
                last_of_session = bool(settings.max_emails and in_session + 1 >= settings.max_emails)
                following = None
                if not last_of_session and (ahead := frames.peek()) is not None and ahead[0] == "send":
                    following = Envelope(*ahead[1])
                session.send(envelope, following)
            except Exception as exc:
                held = True
                if session is not None and session.opened is not None:  # opened ahead: no content will follow
                    session.connection.close()
                    session.opened = None
                _write(replies, ("error", _portable(exc)))
                continue
            in_session += 1
            if last_of_session:
                _quit(session.connection)
                session = None
            replies.write(_frame(("sent", None)))
            unflushed += 1
    finally:
        if unflushed:
            replies.flush()
        if session is not None and session.connection.sock is not None:
            if session.opened is not None:  # the relay waits for content that will not come: no QUIT
                session.connection.close()
            else:
                _quit(session.connection)


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


class SmtpProcess:
    """The parent's handle on the child. Messages are answered in the order they were submitted; the caller
    keeps a few submitted ahead (``submit``) so the child never waits for the next one, and collects each answer
    with ``result``.

    ``submit`` never raises for a transport problem: it is reported by ``result``, like the relay's answers, so
    the caller settles every message in one place. Messages held by the child behind a failure are sent again
    by ``result`` once the caller asks for theirs (so it has seen the failure and chosen to go on)."""

    def __init__(self, settings: RelaySettings, *, wait: bool = True) -> None:
        """Starts the child; with ``wait`` (the default), returns once it is connected. Without, the caller
        starts several children, then calls ``wait_ready`` on each (they connect at the same time)."""
        self._process = subprocess.Popen([sys.executable, "-P", __file__], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE)
        self._unanswered: deque[tuple[str, tuple[Any, ...]]] = deque()
        self._gone: Exception | None = None  # the child ended: every later answer is this error
        # Messages submitted and not yet written to the child: written FRAMES_PER_WRITE at a time (or when an
        # answer is awaited, or on ``flush``), so the child is woken once per group, not once per message.
        # Never written if the sender stops first: they were not sent, and are not recorded as sent.
        self._outgoing = bytearray()
        self._waiting = 0
        try:
            self._send(asdict(settings))
        except BaseException:
            self.close()
            raise
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Raises what the connection to the relay raised (the child is then closed)."""
        try:
            self._answer()
        except BaseException:
            self.close()
            raise

    @property
    def unanswered(self) -> int:
        return len(self._unanswered)

    def submit(self, envelope: Envelope) -> None:
        # A plain tuple: the child runs this file as __main__ and could not unpickle this module's classes.
        frame = ("send", (envelope.sender, envelope.recipients, envelope.data, envelope.mail_options,
                          envelope.rcpt_options))
        self._unanswered.append(frame)
        if self._gone is None:
            self._outgoing += _frame(frame)
            self._waiting += 1
            # Written once a group is ready, or at once while the child has few messages left (it would wait).
            if self._waiting >= FRAMES_PER_WRITE or len(self._unanswered) - self._waiting < FRAMES_PER_WRITE:
                self.flush()

    def flush(self) -> None:
        """Hands the messages submitted since the last write to the child, in one write."""
        if self._outgoing:
            data, self._outgoing, self._waiting = bytes(self._outgoing), bytearray(), 0
            self._send_or_note(data, framed=True)

    def result(self) -> None:
        """Waits for the answer about the oldest message submitted; raises what the relay (or the connection)
        raised about it."""
        self.flush()
        try:
            kind = self._answer()
            if kind == "held":  # behind a failure the caller has seen: the queue goes on
                for _ in range(len(self._unanswered) - 1):  # the others queued behind it were held too
                    self._answer()
                self._send_or_note(("go", None))
                for frame in self._unanswered:
                    self._send_or_note(frame)
                self._answer()
        finally:
            self._unanswered.popleft()

    def _answer(self) -> str:
        if self._gone is not None:
            raise self._gone
        assert self._process.stdout is not None
        reply = _read(self._process.stdout)
        if reply is None:
            self._gone = smtplib.SMTPServerDisconnected("processus d'envoi arrêté sans réponse")
            raise self._gone
        kind, error = reply
        if kind == "error":
            raise error
        return str(kind)

    def _send_or_note(self, value: Any, *, framed: bool = False) -> None:
        if self._gone is not None:
            return
        try:
            if framed:
                assert self._process.stdin is not None
                self._process.stdin.write(value)
                self._process.stdin.flush()
            else:
                self._send(value)
        except OSError as exc:  # the child is gone
            self._gone = smtplib.SMTPServerDisconnected(f"processus d'envoi arrêté : {exc}")

    def close(self) -> None:
        process = self._process
        if process.stdin is not None and not process.stdin.closed:
            try:
                self._send(("quit", None))
            except OSError:  # the child is gone already
                pass
            try:
                process.stdin.close()
            except OSError:  # flushing to a child that is gone
                pass
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def _send(self, value: Any) -> None:
        assert self._process.stdin is not None
        _write(self._process.stdin, value)


def main() -> None:
    # Ctrl-C in a terminal, `make run`'s SIGTERM and systemd's reach the whole process group: the child ends with
    # its input (the sender stopping, or dying), never in the middle of a transaction the sender would not know
    # the outcome of.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt a frame
    try:
        serve(sys.stdin.buffer, replies)
    except BrokenPipeError:  # the sender is gone (the relay connection was closed on the way out)
        os._exit(0)  # without flushing an answer nobody will read


if __name__ == "__main__":
    main()
