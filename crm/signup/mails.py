"""The mails this package sends to a person: queued as deliveries, rendered here when the pipeline sends them.

Each carries the preferences and unsubscribe links. Who may receive them is declared once, in ``MAIL_KINDS``
(crm.consent.mail_kinds): the confirmation link answers a request the person has just made; the welcome and the
kit are about the person's own requests.
"""

from __future__ import annotations

import re
import uuid
from email.utils import formataddr
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_mail import Message

from crm.consent.mail_kinds import Category, MailKind, may_receive
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.mail.headers import clean_header
from crm.mail.models import Delivery
from crm.mail.outgoing import deliver_soon
from crm.mail.rendering import build_message
from crm.partners.models import Contact
from crm.signup import links
from crm.signup.kit import current_kit
from crm.signup.models import Signup, SignupRequest, french_labels

CONFIRM, WELCOME, KIT = "signup_confirm", "signup_welcome", "signup_kit"
PREFERENCES_LINK = "signup_preferences_link"

# Flask-Mail writes an ASCII display name without its quotes, so address punctuation in a name typed on a public
# form ("Eve Bcc: victim@example.org") would turn the To header into a group naming another address.
_ADDRESS_PUNCTUATION = re.compile(r'[()<>\[\]:;@\\,."]+')


def display_name(contact: Contact) -> str:
    name = f"{contact.first_name} {contact.last_name}".strip()
    return " ".join(_ADDRESS_PUNCTUATION.sub(" ", clean_header(name)).split())


def recipient(contact: Contact) -> str:
    """``Name <address>``; the name comes from a public form: no line breaks, no address punctuation."""
    return formataddr((display_name(contact), contact.email or ""))


# --- Queueing ---------------------------------------------------------------------------------


def _queue(kind: str, contact: Contact, source_id: int | None, key: str | None = None) -> bool:
    if not may_receive(contact, kind):
        return False
    dedupe_key = f"{kind}:{contact.id}:{key or uuid.uuid4().hex}"
    return deliver_soon(kind, dedupe_key, contact_id=contact.id, source_id=source_id) is not None


def send_confirmation(contact: Contact) -> bool:
    """The confirmation link for every signup of the contact still waiting for it."""
    return _queue(CONFIRM, contact, None)


def send_preferences_link(contact: Contact) -> bool:
    """A fresh link to the preference page, asked for by the person (their old link no longer works)."""
    return _queue(PREFERENCES_LINK, contact, None)


def send_welcome(contact: Contact, signup: Signup) -> bool:
    return _queue(WELCOME, contact, signup.id, key=f"signup:{signup.id}")


def send_kit(contact: Contact, request: SignupRequest) -> bool:
    return _queue(KIT, contact, request.id)


# --- Rendering (called by the pipeline when a delivery is due) --------------------------------


def _message(contact: Contact, subject: str, template: str, *, one_click: bool = False, **context: Any) -> Message:
    headers = links.list_unsubscribe_headers(contact) if one_click else None
    return build_message(recipient(contact), subject, template, extra_headers=headers,
                         contact=contact, **links.subscriber_links(contact), **context)


def render_confirmation(delivery: Delivery) -> Message | None:
    contact = delivery.contact
    if contact is None:
        return None
    pending = db.session.scalars(sa.select(Signup).where(Signup.contact_id == contact.id,
                                                         Signup.confirmed_at.is_(None)).order_by(Signup.id)).all()
    if not pending:  # confirmed meanwhile, or purged: nothing left to confirm
        return None
    kinds = dict.fromkeys(request.kind for signup in pending for request in signup.requests)
    return _message(contact, "Confirmez votre inscription — Territoires d'industrie", "signup_confirm",
                    confirm_url=links.confirm_url(contact), requests=french_labels(kinds),
                    preheader="Un clic pour confirmer votre adresse e-mail.")


def render_preferences_link(delivery: Delivery) -> Message | None:
    contact = delivery.contact
    if contact is None or not contact.email:
        return None
    return _message(contact, "Gérer votre abonnement — Territoires d'industrie", "signup_preferences",
                    preheader="Le lien pour gérer votre abonnement et vos préférences.")


def render_welcome(delivery: Delivery) -> Message | None:
    contact = delivery.contact
    signup = db.session.get(Signup, delivery.source_id) if delivery.source_id else None
    if contact is None or signup is None or signup.confirmed_at is None:
        return None
    confirmed_together = db.session.scalars(sa.select(Signup).where(
        Signup.contact_id == contact.id, Signup.confirmed_at == signup.confirmed_at).order_by(Signup.id)).all()
    kinds = dict.fromkeys(request.kind for item in confirmed_together for request in item.requests)
    return _message(contact, "Votre inscription est confirmée — Territoires d'industrie", "signup_welcome",
                    one_click=True, requests=french_labels(kinds), preheader="Merci, votre adresse est confirmée.")


def render_kit(delivery: Delivery) -> Message | None:
    contact = delivery.contact
    kit = current_kit()
    if contact is None or kit is None:
        return None
    return _message(contact, "Votre kit de communication Territoires d'industrie", "signup_kit", one_click=True,
                    kit_url=links.kit_url(contact), filename=kit.filename,
                    valid_days=current_app.config["SIGNUP_KIT_LINK_DAYS"],
                    preheader="Le lien pour télécharger le kit de communication.")


MAIL_KINDS = (
    MailKind(CONFIRM, _l("Le lien de confirmation d'une inscription"), Category.REQUESTED, render_confirmation,
             promise=_l("le lien de confirmation, si vous vous inscrivez à nouveau")),
    MailKind(PREFERENCES_LINK, _l("Le lien de gestion de votre abonnement, quand vous le demandez"),
             Category.REQUESTED, render_preferences_link,
             promise=_l("le lien de gestion de votre abonnement, si vous le demandez")),
    MailKind(WELCOME, _l("La confirmation de vos demandes"), Category.PERSONAL, render_welcome,
             promise=_l("la confirmation de vos nouvelles demandes")),
    MailKind(KIT, _l("Le kit de communication que vous avez demandé"), Category.PERSONAL, render_kit,
             promise=_l("le kit de communication, si vous le demandez")),
)
