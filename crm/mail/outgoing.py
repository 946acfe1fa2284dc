"""Mail asked for during a request or a command leaves only once the database commit has succeeded.

Mail to a contact is a ``Delivery`` row like any other (``deliver_soon``): the pipeline sends it with its retries,
its recipient rule and its record. Where ``MAIL_DELIVER_AFTER_COMMIT`` is on (the default with the Maildir outbox,
i.e. in development), it is sent as soon as the commit succeeds, in a context of its own; otherwise (an SMTP
relay: no SMTP inside a web request) the scheduler's next tick sends it, within seconds. Mail to someone who is
no contact (a back-office user, a test address) is a plain message sent after the commit (``send_after_commit``).
"""

from __future__ import annotations

from flask import current_app
from flask_mail import Message

from crm.mail.after_commit import after_commit, on_commit
from crm.mail.claims import queue_delivery
from crm.mail.transport import open_transport

PENDING_KEY = "crm_pending_mail"
DELIVER_KEY = "crm_deliver_now"


def send_after_commit(message: Message) -> None:
    after_commit(PENDING_KEY, message)


def deliver_soon(kind: str, dedupe_key: str, *, contact_id: int, source_id: int | None = None) -> int | None:
    """Queues one delivery (once per dedupe key) to be sent right after the commit; returns its id, or None
    when that mail was already queued. Flushes; the caller commits."""
    delivery_id = queue_delivery(kind, dedupe_key, contact_id=contact_id, source_id=source_id)
    if delivery_id is not None and current_app.config["MAIL_DELIVER_AFTER_COMMIT"]:
        after_commit(DELIVER_KEY, delivery_id)
    return delivery_id


@on_commit(PENDING_KEY)
def _send_pending(pending: list[Message]) -> None:
    with open_transport() as transport:
        for message in pending:
            try:
                transport.send(message)
            except Exception:  # one bad address must not lose the others
                current_app.logger.exception("could not send mail to %s", message.recipients)


@on_commit(DELIVER_KEY)
def _deliver(delivery_ids: list[int]) -> None:
    from crm.mail.pipeline import send_due

    # The committed session cannot be used from its own commit event: the pass runs in a context of its own
    # (its own session). What it cannot send stays queued for the scheduler.
    with current_app.app_context():
        try:
            send_due(only_ids=delivery_ids)
        except Exception:
            current_app.logger.exception("could not deliver %s now; the scheduler will", delivery_ids)
