"""The register of processing (article 30 RGPD): what is held, why, on which basis, for how long."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from crm.extensions import db
from crm.privacy.references import references_to, title_of


@dataclass(frozen=True)
class Processing:
    name: str
    purpose: str
    basis: str
    people: str
    data: str
    recipients: str
    retention: str


def processings(years: int, grace_days: int) -> list[Processing]:
    return [
        Processing(
            "Gestion des partenaires du programme",
            "Suivre les structures partenaires et leurs interlocuteurs, le Club des Industriels et les ambassadeurs.",
            "Intérêt légitime (mission de développement économique de la Communauté urbaine)",
            "Dirigeants et salariés des structures partenaires, prospects",
            "Identité, civilité, fonction, coordonnées professionnelles, structure, filières, axes, notes d'échange",
            "Équipe du développement économique (accès par compte nominatif)",
            f"Prospects : {years} ans après le dernier contact venu d'eux, puis revue et effacement après "
            f"{grace_days} jours ; partenaires actifs : pendant la relation",
        ),
        Processing(
            "Lettre d'information",
            "Envoyer la lettre d'information Territoires d'industrie aux personnes qui l'ont demandée.",
            "Consentement (double confirmation, preuve conservée dans le registre des consentements)",
            "Abonnés",
            "Adresse e-mail, nom, listes choisies, preuve du consentement (date, source, texte, adresse IP)",
            "Équipe du développement économique ; prestataire d'envoi le cas échéant",
            "Jusqu'à la désinscription ; l'empreinte de l'adresse reste sur la liste d'opposition",
        ),
        Processing(
            "Mesure d'audience de la lettre (clics sur les liens)",
            "Savoir quels liens d'une lettre intéressent, pour mieux l'écrire.",
            "Mesure d'audience anonyme, qui n'identifie personne (pas de consentement requis)",
            "Aucune personne identifiée : seuls des totaux sont tenus",
            "Par lettre et par lien : l'adresse du lien et le nombre de clics. Rien sur qui a cliqué : pas de "
            "lien propre à chaque destinataire, pas d'adresse IP ni d'heure de clic conservée, pas de pixel "
            "d'ouverture. Les liens personnels (désinscription, préférences, réponse à une invitation) ne sont "
            "pas comptés.",
            "Équipe du développement économique",
            "Comme la lettre",
        ),
        Processing(
            "Invitations aux événements",
            "Inviter au comité technique semestriel et aux rencontres, suivre les réponses et la présence.",
            "Intérêt légitime ; consentement pour les personnes inscrites par le formulaire",
            "Partenaires et abonnés aux invitations",
            "Identité, adresse e-mail, réponses, présence",
            "Équipe du développement économique",
            f"Comme la fiche du contact ({years} ans sans contact venu de la personne pour un prospect)",
        ),
        Processing(
            "Formulaire d'inscription",
            "Recevoir les demandes : rejoindre la démarche, recevoir la lettre, parler d'un projet, devenir ambassadeur.",
            "Consentement et mesures précontractuelles",
            "Personnes qui remplissent le formulaire",
            "Identité, coordonnées, structure, message, adresse IP de la demande",
            "Équipe du développement économique",
            "Demandes non confirmées : purgées après quelques jours ; sinon comme la fiche du contact",
        ),
        Processing(
            "Journal des modifications et des envois",
            "Savoir qui a modifié quoi et quand, prouver les envois et les effacements.",
            "Obligation de sécurité (article 32 RGPD)",
            "Utilisateurs du back-office, contacts concernés",
            "Auteur, date, nature de la modification ; statut des envois",
            "Administrateurs",
            "Comme la fiche concernée ; les valeurs personnelles sont retirées lors d'un effacement",
        ),
    ]


def data_held() -> list[tuple[str, str, int]]:
    """(title, table, rows) for every table holding rows about contacts, found by introspection."""
    held = []
    seen = set()
    for ref in references_to("contacts"):
        if ref.table.name in seen:
            continue
        seen.add(ref.table.name)
        count = db.session.scalar(sa.select(sa.func.count()).select_from(ref.table).where(ref.column.is_not(None)))
        held.append((title_of(ref.table.name), ref.table.name, count or 0))
    return held
