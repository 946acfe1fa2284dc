"""What each person agreed to: the consent ledger, subscription state, topics, the suppression list, and the one
rule for who may receive which kind of mail (``mail_kinds``).

Shared by signup (writes), campaigns and events (read: who may receive what) and privacy (erasure).
"""

from functools import partial

from crm.consent.models import OptInStatus
from crm.consent.services import subscribers_with_status
from crm.extensions import Feature, Figure, PrivacyTable
from crm.forms import lazy_gettext as _l

feature = Feature(
    name="consent",
    figures=[
        Figure(_l("abonnés confirmés à la lettre"), partial(subscribers_with_status, OptInStatus.CONFIRMED),
               order=40),
        Figure(_l("Inscriptions en attente de confirmation de l'adresse"),
               partial(subscribers_with_status, OptInStatus.PENDING), order=80, group="waiting"),
    ],
    privacy=[
        PrivacyTable("subscriptions", "Abonnement à la lettre"),
        PrivacyTable("consent_records", "Consentements (registre)", personal=("ip",)),
        PrivacyTable("contact_topics", "Listes de diffusion choisies"),
    ],
)
