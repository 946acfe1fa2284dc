"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it receives, and can refuse on demand."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        with self.sink.lock:
            self.sink.sessions += 1
        session.host_name = hostname
        if self.sink.pipelining:  # aiosmtpd reads commands one line at a time: a pipelined group is fine
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        reply = self.sink.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.data_reply:
            return self.sink.data_reply
        with self.sink.lock:
            self.sink.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            count = len(self.sink.received)
        if self.sink.on_message is not None:
            self.sink.on_message(count)  # before the reply: the sender is still waiting for this message
        return "250 Message accepted"


class SmtpSink:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        with socket.socket() as sock:
            sock.bind((self.host, 0))
            self.port = sock.getsockname()[1]
        self.received: list[Received] = []
        self.rcpt_replies: dict[str, str] = {}
        self.data_reply: str | None = None
        self.sessions = 0  # SMTP sessions opened (EHLO received)
        self.pipelining = True  # advertised in the EHLO answer (RFC 2920)
        # Called with the number received so far, in the sink's thread, before it answers the DATA.
        self.on_message: Callable[[int], None] | None = None
        self.lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [item.message for item in self.received]

    def recipients(self) -> list[str]:
        with self.lock:
            return [rcpt for item in self.received for rcpt in item.rcpt_tos]
