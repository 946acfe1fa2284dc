"""What each person agreed to: the consent ledger, subscription state, topics, the suppression list, and the one
rule for who may receive which kind of mail (``mail_kinds``).

Shared by signup (writes), campaigns and events (read: who may receive what) and privacy (erasure).
"""

from functools import partial

import sqlalchemy as sa

from crm.consent.models import OptInStatus, Subscription
from crm.extensions import Feature, Figure, PrivacyTable
from crm.forms import lazy_gettext as _l
from crm.partners import figures as partner_figures
from crm.partners.models import Contact

NEWSLETTER_LABELS = {OptInStatus.CONFIRMED.value: _l("abonnés confirmés"),
                     OptInStatus.PENDING.value: _l("en attente de confirmation de l'adresse"),
                     OptInStatus.UNSUBSCRIBED.value: _l("désabonnés"), OptInStatus.NONE.value: _l("jamais abonnés")}


def contact_filter(name: str, value: str) -> sa.ColumnElement[bool] | None:
    """The contacts list's ``newsletter`` filter: contacts whose subscription is in that state."""
    if name != "newsletter":
        return None
    if value not in {status.value for status in OptInStatus}:
        return sa.false()
    return sa.exists().where(Subscription.contact_id == Contact.id, Subscription.status == value)


feature = Feature(
    name="consent",
    figures=[
        Figure(_l("abonnés confirmés à la lettre"),
               partial(partner_figures.contacts, newsletter=OptInStatus.CONFIRMED.value), "partners.contacts",
               {"newsletter": OptInStatus.CONFIRMED.value}, order=40),
        Figure(_l("Inscriptions en attente de confirmation de l'adresse"),
               partial(partner_figures.contacts, newsletter=OptInStatus.PENDING.value), "partners.contacts",
               {"newsletter": OptInStatus.PENDING.value}, order=80, group="waiting"),
    ],
    hooks={"partners.contact_filter": contact_filter},
    context_processors=[lambda: {"newsletter_labels": NEWSLETTER_LABELS}],
    privacy=[
        PrivacyTable("subscriptions", "Abonnement à la lettre"),
        PrivacyTable("consent_records", "Consentements (registre)", personal=("ip",)),
        PrivacyTable("contact_topics", "Listes de diffusion choisies"),
    ],
)
