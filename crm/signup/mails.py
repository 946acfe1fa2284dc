"""The mails this package sends to a subscriber: each carries the preferences and unsubscribe links."""

from __future__ import annotations

import re
from email.utils import formataddr
from typing import Any

import sqlalchemy as sa

from crm.consent.models import Suppression, SuppressionReason
from crm.consent.services import email_hash
from crm.extensions import db
from crm.mail.headers import clean_header
from crm.mail.outgoing import send_after_commit
from crm.mail.rendering import build_message
from crm.partners.models import Contact
from crm.signup import links

# An address that bounced hard or complained gets nothing, not even a confirmation.
BLOCKING_REASONS = (SuppressionReason.HARD_BOUNCE.value, SuppressionReason.COMPLAINT.value)


# Flask-Mail writes an ASCII display name without its quotes, so address punctuation in a name typed on a public
# form ("Eve Bcc: victim@example.org") would turn the To header into a group naming another address.
_ADDRESS_PUNCTUATION = re.compile(r'[()<>\[\]:;@\\,."]+')


def display_name(contact: Contact) -> str:
    name = f"{contact.first_name} {contact.last_name}".strip()
    return " ".join(_ADDRESS_PUNCTUATION.sub(" ", clean_header(name)).split())


def recipient(contact: Contact) -> str:
    """``Name <address>``; the name comes from a public form: no line breaks, no address punctuation."""
    return formataddr((display_name(contact), contact.email or ""))


def may_receive(contact: Contact) -> bool:
    if not contact.email:
        return False
    stmt = sa.select(sa.exists().where(Suppression.email_hash == email_hash(contact.email),
                                       Suppression.reason.in_(BLOCKING_REASONS)))
    return not db.session.scalar(stmt)


def _send(contact: Contact, subject: str, template: str, *, one_click: bool = False, **context: Any) -> bool:
    if not may_receive(contact):
        return False
    headers = links.list_unsubscribe_headers(contact) if one_click else None
    message = build_message(recipient(contact), subject, template, extra_headers=headers,
                            contact=contact, **links.subscriber_links(contact), **context)
    send_after_commit(message)
    return True


def send_confirmation(contact: Contact, requests: list[str]) -> bool:
    return _send(contact, "Confirmez votre inscription — Territoires d'industrie", "signup_confirm",
                 confirm_url=links.confirm_url(contact), requests=requests,
                 preheader="Un clic pour confirmer votre adresse e-mail.")


def send_welcome(contact: Contact, requests: list[str]) -> bool:
    return _send(contact, "Votre inscription est confirmée — Territoires d'industrie", "signup_welcome",
                 one_click=True, requests=requests, preheader="Merci, votre adresse est confirmée.")


def send_kit(contact: Contact, filename: str, valid_days: int) -> bool:
    return _send(contact, "Votre kit de communication Territoires d'industrie", "signup_kit", one_click=True,
                 kit_url=links.kit_url(contact), filename=filename, valid_days=valid_days,
                 preheader="Le lien pour télécharger le kit de communication.")
