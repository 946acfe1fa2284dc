"""Mail asked for during a request leaves only once the database commit has succeeded."""

from __future__ import annotations

from flask import current_app
from flask_mail import Message
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from crm.extensions import db
from crm.mail.transport import open_transport

PENDING_KEY = "crm_pending_mail"


def send_after_commit(message: Message) -> None:
    db.session.connection()  # begins the transaction the mail now belongs to, so a rollback drops it
    db.session.info.setdefault(PENDING_KEY, []).append(message)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending: list[Message] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    with open_transport() as transport:
        for message in pending:
            try:
                transport.send(message)
            except Exception:  # one bad address must not lose the others
                current_app.logger.exception("could not send mail to %s", message.recipients)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(PENDING_KEY, None)
