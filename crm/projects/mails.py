"""The one mail of the projects package to a firm: once its request is accepted, the name of the person of the
team who follows its project. It is about the person's own request (``PERSONAL``): an unsubscribe from the
letter does not stop it, an erasure or a hard bounce does (crm.consent.mail_kinds)."""

from __future__ import annotations

from flask_mail import Message

from crm.consent.mail_kinds import Category, MailKind, may_receive
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.mail.models import Delivery
from crm.mail.outgoing import deliver_soon
from crm.mail.rendering import build_message
from crm.partners.models import Contact
from crm.projects.models import Project
from crm.signup import links
from crm.signup.mails import recipient

FOLLOWED = "project_followed"


def send_followed(project: Project, contact: Contact) -> bool:
    """Queues the mail (once per project); False when the person may not receive it."""
    if not may_receive(contact, FOLLOWED):
        return False
    return deliver_soon(FOLLOWED, f"{FOLLOWED}:{project.id}", contact_id=contact.id,
                        source_id=project.id) is not None


def render_followed(delivery: Delivery) -> Message | None:
    contact = delivery.contact
    project = db.session.get(Project, delivery.source_id) if delivery.source_id else None
    if contact is None or project is None or project.owner is None:
        return None
    return build_message(recipient(contact), "Votre projet — Territoires d'industrie", "project_followed",
                         contact=contact, project=project, owner=project.owner, **links.subscriber_links(contact),
                         preheader=f"{project.owner.display_name} suit votre projet.")


MAIL_KINDS = (
    MailKind(FOLLOWED, _l("Le nom de la personne qui suit votre projet"), Category.PERSONAL, render_followed,
             promise=_l("les nouvelles du projet dont vous avez demandé à parler")),
)
