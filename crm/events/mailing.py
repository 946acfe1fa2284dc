"""Every mail about an event is a queued delivery the scheduler sends; here they are queued and rendered.

Who may get them is declared in ``MAIL_KINDS`` (crm.consent.mail_kinds), checked when queued and again when
sent: an invitation, an update or cancellation to someone who has not answered, and every reminder are mail the
person can refuse (the topic "evenements", or unsubscribing from everything); only mail about the person's own
registration, after they answered (their confirmation, the move or cancellation of an event they accepted),
still reaches someone who unsubscribed. A hard bounce, a complaint, a manual block or an erasure stops all of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_mail import Message
from werkzeug.routing import BuildError

from crm.consent.mail_kinds import Category, MailKind, may_receive
from crm.db import utcnow
from crm.events import display, ics
from crm.events.models import Event, EventStatus, Invitation, InvitationStatus
from crm.events.tokens import rsvp_url
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.mail.models import Delivery, DeliveryStatus
from crm.mail.pipeline import queue_delivery
from crm.mail.rendering import add_calendar, compose, render_bodies
from crm.signup.links import preferences_url

TOPIC = "evenements"
KINDS = ("invitation", "event_update", "event_cancel", "reminder", "rsvp_confirmation", "registration_update",
         "registration_cancel")
# Mail about the event to someone who answered yes is about their own registration.
REGISTRATION_KINDS = {"event_update": "registration_update", "event_cancel": "registration_cancel"}
REGISTERED = (InvitationStatus.ACCEPTED.value, InvitationStatus.WAITLISTED.value)
OPEN_STATUSES = (InvitationStatus.INVITED.value, *REGISTERED)


# --- Queueing ---------------------------------------------------------------------------------


def queue(kind: str, invitation: Invitation, key: str) -> bool:
    """One delivery per dedupe key: queueing the same mail twice (even at once) queues it once. Nothing is
    queued for someone who may not receive that kind of mail."""
    if invitation.status in REGISTERED:
        kind = REGISTRATION_KINDS.get(kind, kind)
    if not may_receive(invitation.contact, kind):
        return False
    return queue_delivery(kind, f"invitation:{invitation.id}:{key}", contact_id=invitation.contact_id,
                          source_id=invitation.id) is not None


def queue_invitation(invitation: Invitation) -> bool:
    queued = queue("invitation", invitation, "initial")
    if queued:
        invitation.mail_queued_at = utcnow()
    return queued


PROMOTED = "promoted"


def queue_confirmation(invitation: Invitation, *, promoted: bool = False) -> bool:
    """The mail about one answer: a seat, a place on the waiting list, or a seat freed for someone waiting. The
    key says which, so a mail queued for one state is never sent as another (a waiting-list mail rendered after
    the promotion would read as a second confirmation)."""
    state = PROMOTED if promoted else invitation.status
    return queue("rsvp_confirmation", invitation, f"rsvp:{invitation.answer_count}:{state}")


def queue_for_invitees(event: Event, kind: str, key: str, *, statuses: Iterable[InvitationStatus],
                       only_already_mailed: bool = False) -> int:
    stmt = sa.select(Invitation).where(Invitation.event_id == event.id,
                                       Invitation.status.in_([s.value for s in statuses]))
    if only_already_mailed or kind == "event_update":  # who was not sent the invitation yet gets the new one
        stmt = stmt.where(Invitation.sent_at.is_not(None))
    elif kind == "invitation":  # a resend goes to those whose first invitation was queued
        stmt = stmt.where(Invitation.mail_queued_at.is_not(None))
    return sum(1 for invitation in db.session.scalars(stmt.order_by(Invitation.id)) if queue(kind, invitation, key))


def cancel_queued(event: Event, kinds: Iterable[str]) -> None:
    ids = sa.select(Invitation.id).where(Invitation.event_id == event.id).scalar_subquery()
    kinds = [*kinds, *(REGISTRATION_KINDS[k] for k in kinds if k in REGISTRATION_KINDS)]
    db.session.execute(sa.update(Delivery).where(Delivery.source_id.in_(ids), Delivery.kind.in_(kinds),
                                                 Delivery.status == DeliveryStatus.QUEUED.value)
                       .values(status=DeliveryStatus.CANCELLED.value))
    db.session.flush()


def cancel_queued_for(invitation: Invitation) -> None:
    db.session.execute(sa.update(Delivery).where(Delivery.source_id == invitation.id, Delivery.kind.in_(KINDS),
                                                 Delivery.status == DeliveryStatus.QUEUED.value)
                       .values(status=DeliveryStatus.CANCELLED.value))
    db.session.flush()


def deliveries_of(invitation: Invitation) -> list[Delivery]:
    stmt = sa.select(Delivery).where(Delivery.source_id == invitation.id, Delivery.kind.in_(KINDS))
    return list(db.session.scalars(stmt.order_by(Delivery.id)))


# --- Rendering (called by the pipeline when a delivery is due) --------------------------------


def _footer_links(invitation: Invitation) -> dict[str, Any]:
    try:
        return {"preferences_url": preferences_url(invitation.contact)}
    except BuildError:  # the signup pages are not installed: no footer link
        return {}


def _message(invitation: Invitation, template: str, subject: str, *, attach_ics: bool,
             **context: Any) -> Message:
    event = invitation.event
    text, html = render_bodies(
        f"event_{template}", contact=invitation.contact, event=event, invitation=invitation,
        when=display.when(event), deadline=display.long_datetime(event.answer_deadline),
        rsvp_url=rsvp_url(invitation), subject=subject, **_footer_links(invitation), **context,
    )
    message = compose(invitation.contact.email or "", subject, text, html)
    if attach_ics:
        add_calendar(message, ics.invitation_ics(invitation), ics.invitation_method(event))
    return message


def _invitation_of(delivery: Delivery) -> Invitation | None:
    return db.session.get(Invitation, delivery.source_id) if delivery.source_id else None


def render_invitation(delivery: Delivery) -> Message | None:
    invitation = _invitation_of(delivery)
    if invitation is None or invitation.status != InvitationStatus.INVITED or not invitation.event.answers_open():
        return None
    invitation.sent_at = invitation.sent_at or utcnow()
    event = invitation.event
    return _message(invitation, "invitation", f"Invitation : {event.title}", attach_ics=True)


def render_update(delivery: Delivery) -> Message | None:
    invitation = _invitation_of(delivery)
    if invitation is None or invitation.event.is_cancelled or invitation.status not in OPEN_STATUSES:
        return None
    return _message(invitation, "update", f"Modification : {invitation.event.title}", attach_ics=True)


def render_cancel(delivery: Delivery) -> Message | None:
    invitation = _invitation_of(delivery)
    if invitation is None or not invitation.event.is_cancelled:
        return None
    return _message(invitation, "cancel", f"Annulation : {invitation.event.title}", attach_ics=True)


def render_reminder(delivery: Delivery) -> Message | None:
    invitation = _invitation_of(delivery)
    if invitation is None:
        return None
    event = invitation.event
    sequence = delivery.dedupe_key.rsplit(":", 1)[-1]
    if (invitation.status != InvitationStatus.ACCEPTED or event.status != EventStatus.PLANNED
            or sequence != str(event.sequence) or utcnow() >= event.starts_at):
        return None
    return _message(invitation, "reminder", f"Rappel : {event.title}, {display.when(event)}", attach_ics=False)


def render_confirmation(delivery: Delivery) -> Message | None:
    invitation = _invitation_of(delivery)
    if invitation is None or invitation.event.is_cancelled:
        return None
    state = delivery.dedupe_key.rsplit(":", 1)[-1]
    title = invitation.event.title
    if invitation.status == InvitationStatus.ACCEPTED and state == PROMOTED:
        return _message(invitation, "confirmation", f"Place confirmée : {title}", attach_ics=True, promoted=True)
    if invitation.status == InvitationStatus.ACCEPTED and state == InvitationStatus.ACCEPTED.value:
        return _message(invitation, "confirmation", f"Inscription confirmée : {title}", attach_ics=True)
    if invitation.status == InvitationStatus.WAITLISTED and state == InvitationStatus.WAITLISTED.value:
        return _message(invitation, "waitlist", f"Liste d'attente : {title}", attach_ics=False)
    return None  # the answer changed since: its own mail tells the person


MAIL_KINDS = (
    MailKind("invitation", _l("Les invitations aux événements"), Category.REFUSABLE, render_invitation,
             topic=TOPIC),
    MailKind("event_update", _l("Les changements d'un événement auquel vous êtes invité(e) sans avoir répondu"),
             Category.REFUSABLE, render_update, topic=TOPIC),
    MailKind("event_cancel", _l("L'annulation d'un événement auquel vous êtes invité(e) sans avoir répondu"),
             Category.REFUSABLE, render_cancel, topic=TOPIC),
    MailKind("reminder", _l("Les rappels avant un événement"), Category.REFUSABLE, render_reminder, topic=TOPIC),
    MailKind("rsvp_confirmation", _l("La confirmation de votre réponse à une invitation"), Category.PERSONAL,
             render_confirmation, promise=_l("la confirmation de vos réponses aux invitations")),
    MailKind("registration_update", _l("Les changements d'un événement auquel vous avez dit oui"),
             Category.PERSONAL, render_update,
             promise=_l("le changement de date, d'heure ou de lieu d'un événement auquel vous avez dit oui")),
    MailKind("registration_cancel", _l("L'annulation d'un événement auquel vous avez dit oui"),
             Category.PERSONAL, render_cancel,
             promise=_l("l'annulation d'un événement auquel vous avez dit oui")),
)
