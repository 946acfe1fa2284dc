"""The one rule for who may receive what (DESIGN.md §4).

Every kind of mail is declared once, by the feature that sends it (``Feature(mail_kinds=[MailKind(...)])``),
with its category; the sending pipeline (at send time, for a whole batch in one query), the audiences (campaigns,
invitations, when they are queued) and the pages that tell a person what they will still receive all read the
same declaration through ``receivable`` / ``may_receive`` / ``still_received``.

* ``NEWSLETTER``: needs a confirmed subscription and the letter's topic; stopped by an unsubscribe.
* ``REFUSABLE``: invitations, updates to people who never answered, reminders, digests of news: sent unless the
  person unsubscribed from everything or untoggled the kind's topic on their preference page.
* ``PERSONAL``: about the person's own registration, after they answered (their confirmation, the move or
  cancellation of an event they accepted): an unsubscribe does not stop it.
* ``REQUESTED``: the answer to a request the person has just made (the confirmation link of a signup): not
  stopped by an earlier unsubscribe or erasure, since the person is asking again.

A hard bounce, a complaint or a manual block stops every kind; no address, nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from crm.forms import email_hash
from crm.consent.models import (
    ConsentAction,
    ConsentRecord,
    OptInStatus,
    Subscription,
    Suppression,
    SuppressionReason,
    Topic,
    contact_topics,
)
from crm.extensions import db
from crm.extensions import mail_kinds as declared_mail_kinds
from crm.partners.models import Contact

REGISTRY_KEY = "crm_mail_kinds"


class Category(StrEnum):
    NEWSLETTER = "newsletter"
    REFUSABLE = "refusable"
    PERSONAL = "personal"
    REQUESTED = "requested"


ALWAYS_BLOCKING = frozenset({SuppressionReason.HARD_BOUNCE, SuppressionReason.COMPLAINT, SuppressionReason.MANUAL})
BLOCKING = {
    Category.NEWSLETTER: ALWAYS_BLOCKING | {SuppressionReason.UNSUBSCRIBE, SuppressionReason.ERASURE},
    Category.REFUSABLE: ALWAYS_BLOCKING | {SuppressionReason.UNSUBSCRIBE, SuppressionReason.ERASURE},
    Category.PERSONAL: ALWAYS_BLOCKING | {SuppressionReason.ERASURE},
    Category.REQUESTED: ALWAYS_BLOCKING,
}
REFUSED_BY_UNSUBSCRIBE = frozenset({Category.NEWSLETTER, Category.REFUSABLE})

@dataclass(frozen=True)
class MailKind:
    """``render(delivery)`` returns the message for one delivery, or None to skip it. ``topic`` is the code of the
    topic the kind is chosen or refused with; ``delivery_topic``, where each mail has its own (a letter sent on
    another topic), gives it as an SQL expression over the ``Delivery`` being sent. ``promise`` is what the
    unsubscribe page tells a person they will still receive (for kinds an unsubscribe does not stop)."""

    code: str
    label: str
    category: Category
    render: Callable[[Any], Any]
    topic: str | None = None
    promise: str = ""
    delivery_topic: Callable[[], sa.ColumnElement[Any]] | None = None

    @property
    def refusable(self) -> bool:
        return self.category in REFUSED_BY_UNSUBSCRIBE


def install(app: Flask) -> None:
    """Collects the kinds every feature declared (``create_app`` calls this once)."""
    kinds: dict[str, MailKind] = {}
    for kind in declared_mail_kinds(app):
        if kind.code in kinds:
            raise RuntimeError(f"mail kind {kind.code!r} declared twice")
        kinds[kind.code] = kind
    app.extensions[REGISTRY_KEY] = kinds


def all_kinds() -> dict[str, MailKind]:
    return dict(current_app.extensions.get(REGISTRY_KEY, {}))


def mail_kind(code: str) -> MailKind | None:
    return current_app.extensions.get(REGISTRY_KEY, {}).get(code)


def _has_topic(topic_id: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return sa.exists().where(contact_topics.c.contact_id == Contact.id, contact_topics.c.topic_id == topic_id)


def _chose_topics() -> sa.ColumnElement[bool]:
    """The person has set their topics on the preference page: a topic left out is a topic refused."""
    return sa.exists().where(ConsentRecord.contact_id == Contact.id,
                             ConsentRecord.action == ConsentAction.PREFERENCES.value)


def _status_is(*statuses: OptInStatus) -> sa.ColumnElement[bool]:
    return sa.exists().where(Subscription.contact_id == Contact.id,
                             Subscription.status.in_([s.value for s in statuses]))


def blocked_by_suppression(reasons: Iterable[SuppressionReason]) -> sa.ColumnElement[bool]:
    return sa.exists().where(Suppression.email_hash == Contact.email_hash,
                             Suppression.reason.in_([r.value for r in reasons]))


def receivable(kind: MailKind, topic_id: sa.ColumnElement[Any] | None = None) -> sa.ColumnElement[bool]:
    """The condition, over ``Contact``, for a person to receive ``kind`` now: the rule, in one place.
    ``topic_id`` overrides the kind's own topic (a letter sent on another topic)."""
    topic = topic_id
    if topic is None and kind.topic is not None:
        topic = sa.select(Topic.id).where(Topic.code == kind.topic).scalar_subquery()
    conditions = [Contact.email.is_not(None), ~blocked_by_suppression(BLOCKING[kind.category])]
    if kind.category is Category.NEWSLETTER:
        conditions.append(_status_is(OptInStatus.CONFIRMED))
        if topic is not None:
            conditions.append(_has_topic(topic))
    elif kind.category is Category.REFUSABLE and topic is not None:
        conditions.append(sa.or_(_has_topic(topic), ~_chose_topics()))
    return sa.and_(*conditions)


def _kind(code: str) -> MailKind:
    kind = mail_kind(code)
    if kind is None:
        raise KeyError(f"unknown mail kind {code!r}")
    return kind


def may_receive(who: Contact | str | None, code: str) -> bool:
    """Whether a person (a contact, or a bare address for mail to someone who is no contact) may be sent a
    mail of kind ``code`` now."""
    kind = _kind(code)
    if isinstance(who, Contact):
        if who.id is None:
            db.session.flush()
        return bool(db.session.scalar(sa.select(sa.exists().where(Contact.id == who.id, receivable(kind)))))
    if not who:
        return False
    return not db.session.scalar(sa.select(sa.exists().where(
        Suppression.email_hash == email_hash(who),
        Suppression.reason.in_([r.value for r in BLOCKING[kind.category]]))))


LEFT_OUT_NO_EMAIL = "sans adresse e-mail"
LEFT_OUT_SUPPRESSED = "sur la liste d'opposition (désinscription, rejet, signalement ou effacement)"
LEFT_OUT_NOT_CHOSEN = {Category.NEWSLETTER: "sans abonnement confirmé à la lettre",
                       Category.REFUSABLE: "ont refusé ces envois sur leur page de préférences"}


def _left_out_reason(kind: MailKind, *, detailed: bool = False) -> sa.ColumnElement[str]:
    """Why a contact is left out of ``kind`` (in French), or "" when the rule lets the mail through; ``detailed``
    names the suppression's own reason (a bounce, a complaint...) instead of the suppression list."""
    blocking = BLOCKING[kind.category]
    if detailed:
        reason = (sa.select(Suppression.reason).where(Suppression.email_hash == Contact.email_hash,
                                                      Suppression.reason.in_([r.value for r in blocking]))
                  .limit(1).scalar_subquery())
        suppressed = [(reason == r.value, SUPPRESSION_REASONS[r.value]) for r in sorted(blocking)]
    else:
        suppressed = [(blocked_by_suppression(blocking), LEFT_OUT_SUPPRESSED)]
    return sa.case(
        (Contact.email.is_(None), LEFT_OUT_NO_EMAIL),
        *suppressed,
        (receivable(kind), ""),
        else_=LEFT_OUT_NOT_CHOSEN.get(kind.category, "autre"),
    )


def reach(kind: MailKind, among: list[sa.ColumnElement[bool]]) -> tuple[int, dict[str, int]]:
    """Of the contacts matching ``among``, how many may receive ``kind`` now, and how many are left out, by
    reason (in French), in one query: what the segment and invite screens show."""
    outcome = _left_out_reason(kind)
    rows = db.session.execute(sa.select(outcome, sa.func.count()).select_from(Contact).where(*among)
                              .group_by(outcome)).all()
    counts = {reason: number for reason, number in rows}
    return counts.pop("", 0), counts


def left_out(code: str, contact_ids: Iterable[int]) -> dict[int, str]:
    """The contacts among ``contact_ids`` that may not receive ``code`` now, with why (in French): one query."""
    ids = set(contact_ids)
    if not ids:
        return {}
    outcome = _left_out_reason(_kind(code), detailed=True)
    rows = db.session.execute(sa.select(Contact.id, outcome).where(Contact.id.in_(ids)))
    return {contact_id: reason for contact_id, reason in rows if reason}


def first_of(category: Category) -> MailKind | None:
    return next((kind for kind in all_kinds().values() if kind.category is category), None)


def still_received() -> list[str]:
    """What a person who unsubscribed from everything still gets: the promise of each kind it does not stop."""
    return list(dict.fromkeys(kind.promise for kind in all_kinds().values()
                              if kind.category not in REFUSED_BY_UNSUBSCRIBE and kind.promise))


def refusable_labels() -> list[str]:
    """What "unsubscribe from everything" stops, in the words of each kind."""
    return list(dict.fromkeys(kind.label for kind in all_kinds().values() if kind.refusable))


SUPPRESSION_REASONS = {
    SuppressionReason.UNSUBSCRIBE.value: "désinscrit de tous les envois",
    SuppressionReason.HARD_BOUNCE.value: "adresse invalide (rejet définitif)",
    SuppressionReason.COMPLAINT.value: "a signalé un envoi comme indésirable",
    SuppressionReason.ERASURE.value: "données effacées (RGPD)",
    SuppressionReason.MANUAL.value: "exclu manuellement",
}
