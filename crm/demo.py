"""Fictional demo data for `make run`: partners, then a few subscribers, segments, a draft newsletter and the
next technical committee, so that every part of the back office has something to show. Loaded once."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.campaigns.services import CampaignInput, save_campaign
from crm.consent import services as consent
from crm.consent.models import ConsentAction, OptInStatus
from crm.events.services import EventInput, create_event
from crm.extensions import db
from crm.partners.demo import load_demo_data as load_demo_partners
from crm.partners.models import Contact
from crm.segments.services import SegmentCriteria, save_segment
from crm.signup.wording import CONSENT_TEXT, CONSENT_VERSION

PARIS = ZoneInfo("Europe/Paris")
NEWSLETTER = """Bonjour {{prenom}},

Voici les dernières nouvelles de la démarche **Territoires d'industrie** sur la Communauté urbaine d'Alençon.

## Comité technique semestriel

Le prochain comité technique réunira les partenaires pour suivre l'avancée du plan d'actions.

## Club des Industriels

Le Club accueille de nouvelles entreprises : n'hésitez pas à nous rejoindre.
"""


def _subscribe_some(rng: random.Random) -> int:
    contacts = db.session.scalars(sa.select(Contact).order_by(Contact.id)).all()
    subscribed = 0
    for contact in contacts:
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


def _next_committee() -> EventInput:
    day = date.today() + timedelta(days=45)
    starts = datetime.combine(day, time(14, 0), PARIS).astimezone(UTC)
    return EventInput(
        kind="comite_technique", title="Comité technique semestriel Territoires d'industrie",
        starts_at=starts, ends_at=starts + timedelta(hours=2, minutes=30),
        description="Suivi du plan d'actions, point sur le Club des Industriels et les projets collaboratifs.",
        place="Hôtel de Ville d'Alençon (salle fictive)", capacity=60,
        answer_deadline=starts - timedelta(days=7), is_public=True,
    )


def load_demo_data(seed: int = 61) -> bool:
    """Returns False when the base already has organisations (the demo is loaded once)."""
    if not load_demo_partners(seed):
        return False
    rng = random.Random(seed)
    _subscribe_some(rng)
    save_segment("Club des Industriels", "Les membres actuels du Club.", SegmentCriteria(club="yes"))
    save_segment("Plasturgie", "La filière plasturgie et composites.", SegmentCriteria(sector="plasturgie"))
    save_segment("Sarthe", "Les partenaires du département 72.", SegmentCriteria(department="72"))
    save_segment("Foncier industriel", "Intéressés par l'axe foncier.", SegmentCriteria(axis="foncier"))
    save_campaign(CampaignInput(subject="Lettre d'information Territoires d'industrie (brouillon de démonstration)",
                                preheader="Les nouvelles de la démarche sur la CUA", body_markdown=NEWSLETTER,
                                segment_id=None))
    create_event(_next_committee())
    return True
