"""Mail asked for during a request leaves only once the database commit has succeeded."""

from __future__ import annotations

from flask import current_app
from flask_mail import Message

from crm.mail.after_commit import after_commit, on_commit
from crm.mail.transport import open_transport

PENDING_KEY = "crm_pending_mail"


def send_after_commit(message: Message) -> None:
    after_commit(PENDING_KEY, message)


@on_commit(PENDING_KEY)
def _send_pending(pending: list[Message]) -> None:
    with open_transport() as transport:
        for message in pending:
            try:
                transport.send(message)
            except Exception:  # one bad address must not lose the others
                current_app.logger.exception("could not send mail to %s", message.recipients)
