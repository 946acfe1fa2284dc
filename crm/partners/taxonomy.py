"""The programme's reference taxonomy, loaded idempotently by `flask taxonomy load` and `make run`.

The migrations ship it too (a database built by `flask db upgrade` alone must take a signup): an entry added
here needs a data migration (tests/test_edges.py compares a migrated database with these lists)."""

from __future__ import annotations

import sqlalchemy as sa

from crm.extensions import db
from crm.forms import reference_label as N_
from crm.partners.models import Axis, OrganisationKind, Sector

ORGANISATION_KINDS = [
    ("entreprise", N_("Entreprise industrielle")),
    ("services_industrie", N_("Services à l'industrie, sous-traitance")),
    ("formation", N_("Centre de formation")),
    ("organisme_public", N_("Organisme public")),
    ("chambre_consulaire", N_("Chambre consulaire (CCI, CMA)")),
    ("operateur_label", N_("Opérateur du label")),
    ("association", N_("Association, réseau")),
    ("collectivite", N_("Collectivité")),
    ("autre", N_("Autre")),
]
SECTORS = [
    ("plasturgie", N_("Plasturgie et composites")),
    ("agroalimentaire", N_("Agroalimentaire")),
    ("numerique", N_("Numérique")),
    ("autre", N_("Autre filière")),
]
AXES = [
    ("transition", N_("Transition écologique et énergétique")),
    ("innovation", N_("Écosystèmes d'innovation")),
    ("competences", N_("Recrutement et compétences")),
    ("foncier", N_("Foncier industriel")),
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
