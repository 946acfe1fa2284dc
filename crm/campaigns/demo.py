"""Fictional demo data: a draft letter and a template to start the next ones from."""

from __future__ import annotations

from crm.campaigns.models import LetterTemplate
from crm.campaigns.services import CampaignInput, save_campaign
from crm.extensions import db

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
    db.session.add(LetterTemplate(
        name="Lettre trimestrielle", subject="Territoires d'industrie : les nouvelles du trimestre",
        preheader="Ce qui avance sur la CUA",
        body_markdown=("Bonjour {{prenom}},\n\n## À la une\n\nLe texte de l'article principal.\n\n---\n\n"
                       "## À venir\n\nLes prochains rendez-vous des partenaires.\n\n"
                       '{{ bouton "Rejoindre la démarche" https://exemple.fr/inscription }}\n')))
