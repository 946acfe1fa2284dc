"""The programme's reference taxonomy, loaded idempotently by `flask taxonomy load` and `make run`.

The migrations ship it too (a database built by `flask db upgrade` alone must take a signup): an entry added
here needs a data migration (tests/test_edges.py compares a migrated database with these lists)."""

from __future__ import annotations

import sqlalchemy as sa

from crm.extensions import db
from crm.partners.models import Axis, OrganisationKind, Sector

ORGANISATION_KINDS = [
    ("entreprise", "Entreprise industrielle"),
    ("services_industrie", "Services à l'industrie, sous-traitance"),
    ("formation", "Centre de formation"),
    ("organisme_public", "Organisme public"),
    ("chambre_consulaire", "Chambre consulaire (CCI, CMA)"),
    ("operateur_label", "Opérateur du label"),
    ("association", "Association, réseau"),
    ("collectivite", "Collectivité"),
    ("autre", "Autre"),
]
SECTORS = [
    ("plasturgie", "Plasturgie et composites"),
    ("agroalimentaire", "Agroalimentaire"),
    ("numerique", "Numérique"),
    ("autre", "Autre filière"),
]
AXES = [
    ("transition", "Transition écologique et énergétique"),
    ("innovation", "Écosystèmes d'innovation"),
    ("competences", "Recrutement et compétences"),
    ("foncier", "Foncier industriel"),
]
TAXONOMY: list[tuple[type[OrganisationKind | Sector | Axis], list[tuple[str, str]]]] = [
    (OrganisationKind, ORGANISATION_KINDS),
    (Sector, SECTORS),
    (Axis, AXES),
]


def load_reference_taxonomy() -> int:
    """Insert missing entries; labels the team renamed are left as they are. Returns how many were added."""
    added = 0
    for model, entries in TAXONOMY:
        existing = set(db.session.scalars(sa.select(model.code)))
        for position, (code, label) in enumerate(entries):
            if code not in existing:
                db.session.add(model(code=code, label=label, position=position))
                added += 1
    db.session.flush()
    return added


def all_of(model: type[OrganisationKind | Sector | Axis]) -> list[OrganisationKind | Sector | Axis]:
    return list(db.session.scalars(sa.select(model).order_by(model.position, model.label)))


def by_codes(model: type[OrganisationKind | Sector | Axis], codes: list[str]) -> list:
    if not codes:
        return []
    return list(db.session.scalars(sa.select(model).where(model.code.in_(codes)).order_by(model.position)))
