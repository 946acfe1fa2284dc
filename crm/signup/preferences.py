"""A subscriber's own choices from the links in mail: topics, unsubscribe; and the consent panel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm.audit import services as audit
from crm.consent import services as consent
from crm.consent.models import ConsentAction, ConsentRecord, OptInStatus, Subscription, SuppressionReason
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.partners.models import Contact
from crm.signup.inbox import signups_of
from crm.signup.models import REQUEST_LABELS
from crm.signup.wording import CONSENT_TEXT, CONSENT_VERSION

STATUS_LABELS = {
    OptInStatus.NONE.value: _l("Aucun consentement recueilli"),
    OptInStatus.PENDING.value: _l("En attente de confirmation"),
    OptInStatus.CONFIRMED.value: _l("Inscription confirmée"),
    OptInStatus.UNSUBSCRIBED.value: _l("Désinscrit"),
}
ACTION_LABELS = {
    ConsentAction.SUBSCRIBE.value: _l("Inscription (formulaire)"),
    ConsentAction.CONFIRM.value: _l("Confirmation de l'adresse"),
    ConsentAction.PREFERENCES.value: _l("Préférences modifiées"),
    ConsentAction.UNSUBSCRIBE.value: _l("Désinscription"),
    ConsentAction.IMPORT.value: _l("Import"),
    ConsentAction.ERASE.value: _l("Effacement"),
    ConsentAction.EXPIRE.value: _l("Inscription non confirmée, expirée"),
}
SOURCE_LABELS = {"form": _l("formulaire"), "email_link": _l("lien dans un e-mail"),
                 "one_click": _l("désinscription en un clic"), "admin": _l("back-office"), "import": _l("import"),
                 "scheduler": _l("purge automatique")}


def update_topics(contact: Contact, codes: set[str], ip: str | None = None) -> bool:
    """Save the topics chosen on the preferences page; choosing topics again is a fresh opt-in."""
    known = {topic.code for topic in consent.all_topics()}
    codes = codes & known
    before = consent.topic_codes(contact)
    status = consent.subscription_of(contact).status
    opting_in = bool(codes) and status != OptInStatus.CONFIRMED.value
    if codes == before and not opting_in:
        return False
    consent.set_topics(contact, codes)
    if opting_in and contact.email:
        consent.set_status(contact, OptInStatus.CONFIRMED)
        consent.unsuppress(contact.email)
        consent.record(contact, ConsentAction.CONFIRM, kind="preferences", source="email_link",
                       wording_version=CONSENT_VERSION, wording=CONSENT_TEXT, ip=ip,
                       detail="réinscription depuis la page de préférences")
    consent.record(contact, ConsentAction.PREFERENCES, kind="topics", source="email_link",
                   wording_version=CONSENT_VERSION, ip=ip, detail=", ".join(sorted(codes)) or "aucun thème")
    audit.record("preferences", "contact", contact.id, "Préférences d'envoi modifiées par la personne")
    db.session.flush()
    return True


def unsubscribe(contact: Contact, source: str, ip: str | None = None) -> bool:
    """Stop everything at once; a second call writes nothing."""
    if not contact.email:
        return False
    subscription = consent.subscription_of(contact)
    already = (subscription.status == OptInStatus.UNSUBSCRIBED.value and consent.is_suppressed(contact.email)
               and not consent.topic_codes(contact))
    if already:
        return False
    consent.set_status(contact, OptInStatus.UNSUBSCRIBED)
    consent.set_topics(contact, set())
    consent.suppress(contact.email, SuppressionReason.UNSUBSCRIBE, detail=source)
    consent.record(contact, ConsentAction.UNSUBSCRIBE, kind="newsletter", source=source,
                   wording_version=CONSENT_VERSION, ip=ip)
    audit.record("unsubscribe", "contact", contact.id, "Désinscription de tous les envois")
    db.session.flush()
    return True


@dataclass
class HistoryLine:
    record: ConsentRecord
    action_label: str
    source_label: str
    detail: str


@dataclass
class ConsentPanel:
    status: str
    status_label: str
    topics: list[str]
    suppressed: bool
    history: list[HistoryLine]
    signups: list[Any]


def _detail(record: ConsentRecord) -> str:
    """The ledger keeps request codes (stable); the page shows their labels."""
    if record.kind != "signup" or record.action != ConsentAction.SUBSCRIBE.value:
        return record.detail
    labels = {kind.value: label for kind, label in REQUEST_LABELS.items()}
    return ", ".join(str(labels.get(code.strip(), code.strip())) for code in record.detail.split(","))


def panel_for(contact: Contact) -> ConsentPanel:
    """What the contact page shows: the state, the topics, each ledger step with its wording version."""
    subscription = db.session.get(Subscription, contact.id)  # a page view never creates one
    status = subscription.status if subscription is not None else OptInStatus.NONE.value
    codes = consent.topic_codes(contact)
    topics = [topic.shown for topic in consent.all_topics() if topic.code in codes]
    history = [HistoryLine(r, ACTION_LABELS.get(r.action, r.action), SOURCE_LABELS.get(r.source, r.source),
                           _detail(r)) for r in consent.history(contact)]
    return ConsentPanel(status=status, status_label=STATUS_LABELS.get(status, ""),
                        topics=topics, suppressed=consent.is_suppressed(contact.email) if contact.email else True,
                        history=history, signups=signups_of(contact))


def current_topics(contact: Contact) -> set[str]:
    return consent.topic_codes(contact)
