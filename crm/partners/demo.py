"""Fictional demo data: invented organisations and people, example.org addresses, fiction-range phones."""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from crm.extensions import db
from crm.partners import services
from crm.partners.models import AmbassadorStatus, Organisation
from crm.partners.normalize import luhn_ok, search_key
from crm.partners.services import ContactInput, OrganisationInput

COMMUNES = [
    ("61000", "Alençon"), ("61250", "Damigny"), ("61000", "Saint-Germain-du-Corbéis"),
    ("61250", "Condé-sur-Sarthe"), ("72610", "Arçonnay"), ("72610", "Champfleur"), ("61250", "Valframbert"),
    ("61000", "Cerisé"), ("61250", "Pacé"), ("61250", "Écouves"), ("72000", "Le Mans"), ("14000", "Caen"),
]
ORGANISATIONS = [
    ("Plastiques du Val d'Orne", "entreprise", ["plasturgie"]),
    ("Composites Sarthe-Nord", "entreprise", ["plasturgie"]),
    ("Moulages de la Briante", "entreprise", ["plasturgie"]),
    ("Injection Normande Fictive", "entreprise", ["plasturgie"]),
    ("Polymères d'Écouves", "entreprise", ["plasturgie"]),
    ("Laiterie des Trois Vallées", "entreprise", ["agroalimentaire"]),
    ("Conserverie du Perche Imaginaire", "entreprise", ["agroalimentaire"]),
    ("Biscuiterie de la Sarthe Exemple", "entreprise", ["agroalimentaire"]),
    ("Saveurs d'Alençon Démo", "entreprise", ["agroalimentaire"]),
    ("Électronique Ornaise Exemple", "entreprise", ["numerique"]),
    ("Logiciels du Bocage", "entreprise", ["numerique"]),
    ("Cartes & Circuits Démo", "entreprise", ["numerique"]),
    ("Imprimerie des Ducs Fictive", "entreprise", ["autre"]),
    ("Verrerie de Normandie Exemple", "entreprise", ["autre"]),
    ("Mécanique de Précision du Mont", "entreprise", ["autre"]),
    ("Transports Orne-Sarthe Démo", "services_industrie", ["autre"]),
    ("Maintenance Industrielle 61", "services_industrie", ["autre", "plasturgie"]),
    ("Usinage Express Exemple", "services_industrie", ["autre"]),
    ("Centre de Formation Industrielle d'Alençon (démo)", "formation", []),
    ("Lycée Professionnel des Métiers Fictif", "formation", []),
    ("Campus des Compétences Démo", "formation", ["numerique"]),
    ("Chambre de Commerce Exemple Orne", "chambre_consulaire", []),
    ("Chambre des Métiers Exemple Sarthe", "chambre_consulaire", []),
    ("Agence Régionale de Développement Démo", "organisme_public", []),
    ("Service Public de l'Emploi Exemple", "organisme_public", []),
    ("Opérateur National du Label (démo)", "operateur_label", []),
    ("Pôle Plasturgie Normandie Démo", "association", ["plasturgie"]),
    ("Réseau des Entreprises Fictives", "association", []),
    ("Commune Exemple de Damigny", "collectivite", []),
    ("Communauté urbaine (service démo)", "collectivite", []),
]
FIRST_NAMES = ["Camille", "Dominique", "Claude", "Alix", "Sacha", "Morgane", "Yannick", "Maëlle", "Gaëtan",
               "Solène", "Hervé", "Nadège", "Loïc", "Élodie", "Régis", "Inès", "Thibault", "Anaïs", "Baptiste"]
LAST_NAMES = ["Exemple", "Fictif", "Démo", "Modèle", "Essai", "Prototype", "Maquette", "Brouillon", "Spécimen",
              "Témoin", "Échantillon", "Esquisse", "Ébauche", "Canevas", "Patron", "Gabarit"]
JOB_TITLES = ["Dirigeant", "Directrice des ressources humaines", "Responsable production", "Chargé de mission",
              "Directeur technique", "Responsable QSE", "Chargée de développement", "Gérante"]
AXES = ["transition", "innovation", "competences", "foncier"]


def has_data() -> bool:
    return bool(db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)))


def fictional_siret(rng: random.Random) -> str:
    while True:
        digits = "".join(str(rng.randint(0, 9)) for _ in range(13))
        for key in range(10):
            candidate = f"9{digits[1:]}{key}"
            if luhn_ok(candidate):
                return candidate


def load_demo_data(seed: int = 61) -> bool:
    """Loads the demo set once; returns False when organisations already exist."""
    if has_data():
        return False
    rng = random.Random(seed)
    today = date.today()
    organisations = []
    for index, (name, kind, sectors) in enumerate(ORGANISATIONS):
        postal_code, commune = COMMUNES[index % len(COMMUNES)]
        organisations.append(services.save_organisation(OrganisationInput(
            name=name, kind=kind, sectors=sectors, postal_code=postal_code, commune=commune,
            siret=fictional_siret(rng) if kind in {"entreprise", "services_industrie"} else "",
            headcount_band=rng.choice(["10-49", "50-249", "250-999"]) if kind == "entreprise" else "",
            address=f"{rng.randint(1, 120)} rue de l'Exemple", website="https://www.example.org",
        )))
    used: set[tuple[str, str]] = set()
    for index, organisation in enumerate(organisations):
        for _ in range(rng.randint(2, 5)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            while (first, last) in used:
                first, last = rng.choice(FIRST_NAMES), f"{rng.choice(LAST_NAMES)}-{rng.choice(LAST_NAMES)}"
            used.add((first, last))
            slug = f"{search_key(first)}.{search_key(last)}".replace(" ", "-")
            contact = services.save_contact(ContactInput(
                email=f"{slug}.{index}@example.org", first_name=first, last_name=last,
                civility=rng.choice(["", "mme", "m"]), phone=f"01 99 00 {rng.randint(10, 99)} {rng.randint(10, 99)}",
                job_title=rng.choice(JOB_TITLES), organisation_id=organisation.id,
                sectors=[s.code for s in organisation.sectors], axes=rng.sample(AXES, rng.randint(0, 2)),
            ))
            roll = rng.random()
            if roll < 0.08:
                services.set_ambassador_status(contact, AmbassadorStatus.ACTIVE, today - timedelta(days=200))
            elif roll < 0.12:
                services.set_ambassador_status(contact, AmbassadorStatus.CANDIDATE, today - timedelta(days=10))
        if organisation.kind and organisation.kind.code == "entreprise" and rng.random() < 0.5:
            services.join_club(organisation, today - timedelta(days=rng.randint(30, 600)))
        services.add_note("Premier échange sur la démarche Territoires d'industrie.", "call",
                          organisation=organisation)
    return True
