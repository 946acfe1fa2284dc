"""Fictional demo data: some of the demo contacts subscribed, with their consent in the ledger."""

from __future__ import annotations

import random

import sqlalchemy as sa

from crm.consent import services as consent
from crm.consent.models import ConsentAction, OptInStatus
from crm.extensions import db
from crm.partners.models import Contact
from crm.signup.wording import CONSENT_TEXT, CONSENT_VERSION


def load(seed: int = 61) -> int:
    rng = random.Random(seed)
    subscribed = 0
    for contact in db.session.scalars(sa.select(Contact).order_by(Contact.id)).all():
        if rng.random() > 0.6:
            continue
        consent.set_status(contact, OptInStatus.CONFIRMED)
        consent.set_topics(contact, {"lettre", "evenements"} if rng.random() < 0.7 else {"lettre"})
        consent.record(contact, ConsentAction.SUBSCRIBE, kind="newsletter", source="demo",
                       wording_version=CONSENT_VERSION, wording=CONSENT_TEXT, detail="données de démonstration")
        consent.record(contact, ConsentAction.CONFIRM, kind="newsletter", source="demo",
                       wording_version=CONSENT_VERSION, detail="données de démonstration")
        subscribed += 1
    return subscribed
