"""Fictional demo data: a draft letter."""

from __future__ import annotations

from crm.campaigns.services import CampaignInput, save_campaign

NEWSLETTER = """Bonjour {{prenom}},

Voici les dernières nouvelles de la démarche **Territoires d'industrie** sur la Communauté urbaine d'Alençon.

## Comité technique semestriel

Le prochain comité technique réunira les partenaires pour suivre l'avancée du plan d'actions.

## Club des Industriels

Le Club accueille de nouvelles entreprises : n'hésitez pas à nous rejoindre.
"""


def load() -> None:
    save_campaign(CampaignInput(subject="Lettre d'information Territoires d'industrie (brouillon de démonstration)",
                                preheader="Les nouvelles de la démarche sur la CUA", body_markdown=NEWSLETTER,
                                segment_id=None))
