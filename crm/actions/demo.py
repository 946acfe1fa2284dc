"""Fictional demo data: a plan of 26 actions across the four axes, with pilots, partners, funding lines,
indicators and milestones, and one past committee whose version is frozen. ``build_plan`` also feeds the
tests and the benchmark (any number of actions)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from crm.actions import versions
from crm.actions.models import (
    Action,
    ActionPartner,
    ActionPilot,
    ActionStatus,
    CommitteeSession,
    FundingLine,
    FundingStatus,
    Indicator,
    IndicatorValue,
    Milestone,
    Origin,
    PartnerRole,
)
from crm.db import utcnow
from crm.events.models import Event, EventKind
from crm.extensions import db
from crm.partners.models import Axis, Contact, Organisation
from crm.partners.normalize import search_key

TITLES = {
    "transition": ["Mutualiser l'achat d'énergie entre industriels", "Diagnostics de décarbonation des PME",
                   "Boucle locale de chaleur fatale", "Écologie industrielle : échanges de matières",
                   "Plan de mobilité inter-entreprises", "Photovoltaïque sur toitures industrielles",
                   "Filière de recyclage des composites"],
    "innovation": ["Vitrine industrielle 4.0", "Programme d'accompagnement des startups industrielles",
                   "Plateforme de prototypage plasturgie", "Rencontres laboratoires-entreprises",
                   "Cybersécurité des PME industrielles", "Défis numériques du Club des Industriels",
                   "Observatoire des filières"],
    "competences": ["Semaine de l'industrie dans les collèges", "Parcours de formation en alternance",
                    "Groupement d'employeurs industriels", "Accueil des salariés en mobilité",
                    "Passerelles de reconversion vers l'industrie", "Ambassadeurs des métiers industriels"],
    "foncier": ["Inventaire des friches industrielles", "Requalification de zone d'activités",
                "Offre immobilière pour les entreprises en croissance", "Densification des parcelles existantes",
                "Guichet unique d'implantation", "Réserve foncière intercommunale"],
}
SCHEMES = ["Fonds Territoires d'industrie", "France 2030", "Fonds vert", "Contrat de plan État-Région",
           "Fonds européen de développement régional", "Fonds propres de la CUA"]
FUNDERS = ["Région Normandie (financeur)", "État — préfecture de l'Orne", "Bpifrance (financeur)",
           "Banque des Territoires (financeur)", "ADEME (financeur)", "Communauté urbaine d'Alençon"]
INDICATORS = [("Emplois créés ou maintenus", "emplois", 0, 40), ("Entreprises impliquées", "entreprises", 0, 25),
              ("Personnes formées", "personnes", 0, 120), ("Foncier industriel remobilisé", "ha", 0, 12)]


def _funders() -> list[int]:
    ids = []
    for name in FUNDERS:
        found = db.session.scalar(sa.select(Organisation.id).where(Organisation.name == name))
        if found is None:
            org = Organisation(name=name, name_key=search_key(name))
            db.session.add(org)
            db.session.flush()
            found = org.id
        ids.append(found)
    return ids


def build_plan(count: int = 26, *, seed: int = 13, lines_per_action: int = 3, today: date | None = None) -> list[int]:
    """Inserts ``count`` fictional actions in bulk (codes « axe.n ») and returns their ids. Flushes."""
    rng = random.Random(seed)
    today = today or date.today()
    axes = list(db.session.scalars(sa.select(Axis).order_by(Axis.position)))
    funders = _funders()
    organisations = [oid for oid in db.session.scalars(sa.select(Organisation.id)) if oid not in funders] or funders
    contacts = dict(db.session.execute(sa.select(Contact.organisation_id, sa.func.min(Contact.id))
                                       .where(Contact.organisation_id.is_not(None))
                                       .group_by(Contact.organisation_id)).all())
    statuses = [ActionStatus.IN_PROGRESS] * 5 + [ActionStatus.VALIDATED] * 3 + [
        ActionStatus.STUDY, ActionStatus.PROPOSED, ActionStatus.DONE, ActionStatus.SUSPENDED]
    start = db.session.scalar(sa.select(sa.func.count()).select_from(Action)) or 0
    now = utcnow()
    action_rows, ids = [], []
    for n in range(count):
        axis = axes[n % len(axes)]
        number = (start + n) // len(axes) + 1
        titles = TITLES.get(axis.code, ["Action"])
        status = statuses[rng.randrange(len(statuses))]
        planned = today - timedelta(days=rng.randrange(30, 700))
        action_rows.append({
            "code": f"{n % len(axes) + 1}.{number}", "title": titles[(number - 1) % len(titles)]
            + ("" if number <= len(titles) else f" ({number})"), "axis_id": axis.id,
            "objective": "Objectif fictif de démonstration.", "description": "", "origin": rng.choice(list(Origin)).value,
            "pilot_organisation_id": rng.choice(organisations), "status": status.value,
            "status_since": planned, "priority": rng.randint(1, 3), "planned_start": planned,
            "planned_end": planned + timedelta(days=rng.randrange(180, 900)),
            "actual_start": planned if status in (ActionStatus.IN_PROGRESS, ActionStatus.DONE) else None,
            "actual_end": None, "is_public": rng.random() < 0.8, "created_at": now, "updated_at": now})
    # Codes must be unique even when the axes' positions repeat: make them so by the running number.
    seen: set[str] = set(db.session.scalars(sa.select(Action.code)))
    for row in action_rows:
        while row["code"] in seen:
            head, _, tail = row["code"].partition(".")
            row["code"] = f"{head}.{int(tail) + 1}"
        seen.add(row["code"])
    for row in action_rows:
        ids.append(db.session.execute(sa.insert(Action).values(**row).returning(Action.id)).scalar_one())
    partners, pilots, lines, indicators, milestones = [], [], [], [], []
    for action_id, row in zip(ids, action_rows, strict=True):
        if row["pilot_organisation_id"] in contacts:
            pilots.append({"action_id": action_id, "contact_id": contacts[row["pilot_organisation_id"]]})
        for org in rng.sample(organisations, k=min(2, len(organisations))):
            if org != row["pilot_organisation_id"]:
                partners.append({"action_id": action_id, "organisation_id": org,
                                 "role": rng.choice(list(PartnerRole)).value})
        for _ in range(lines_per_action):
            requested = Decimal(rng.randrange(100_000, 25_000_000)) / 100
            status = rng.choice(list(FundingStatus))
            granted = (requested * Decimal(rng.choice(["1", "0.8", "0.5", "0.333"]))).quantize(Decimal("0.01")) \
                if status in (FundingStatus.GRANTED, FundingStatus.PAID) else None
            lines.append({"action_id": action_id, "funder_id": rng.choice(funders), "scheme": rng.choice(SCHEMES),
                          "amount_requested": requested, "amount_granted": granted, "status": status.value,
                          "requested_on": row["planned_start"], "decided_on": None, "paid_on": None})
        name, unit, baseline, target = INDICATORS[rng.randrange(len(INDICATORS))]
        indicators.append({"action_id": action_id, "name": name, "unit": unit, "baseline": Decimal(baseline),
                           "target": Decimal(target)})
        milestones.append({"action_id": action_id, "title": "Lancement", "due_on": row["planned_start"],
                           "done_on": row["actual_start"]})
        milestones.append({"action_id": action_id, "title": "Bilan", "due_on": row["planned_end"], "done_on": None})
    for model, rows in ((ActionPilot, pilots), (ActionPartner, partners), (FundingLine, lines),
                        (Milestone, milestones)):
        if rows:
            db.session.execute(sa.insert(model), rows)
    if indicators:
        indicator_ids = [db.session.execute(sa.insert(Indicator).values(**row).returning(Indicator.id)).scalar_one()
                         for row in indicators]
        values = []
        for indicator_id, row in zip(indicator_ids, indicators, strict=True):
            for months in (9, 3):
                values.append({"indicator_id": indicator_id, "measured_on": today - timedelta(days=30 * months),
                               "value": (row["target"] * Decimal(rng.randrange(0, 90)) / 100).quantize(Decimal("1"))})
        db.session.execute(sa.insert(IndicatorValue), values)
    db.session.flush()
    return ids


def past_committee(on: date) -> CommitteeSession:
    starts = datetime.combine(on, time(12, 0), UTC)
    event = Event(uid=f"{uuid.uuid4()}@demo", kind=EventKind.TECHNICAL_COMMITTEE.value,
                  title="Comité technique semestriel (passé)", starts_at=starts, ends_at=starts + timedelta(hours=2),
                  place="Salle fictive", is_public=False)
    session = CommitteeSession(event=event, minutes="Relevé de décisions fictif.", closed_at=starts)
    db.session.add(session)
    db.session.flush()
    return session


def load() -> None:
    ids = build_plan(26)
    versions.freeze(past_committee(date.today() - timedelta(days=120)), date.today() - timedelta(days=120))
    # Since that committee, a few measures came in: the report "since the last committee" has something to say.
    indicators = db.session.scalars(sa.select(Indicator).where(Indicator.action_id.in_(ids[:4])))
    for indicator in indicators:
        db.session.add(IndicatorValue(indicator_id=indicator.id, measured_on=date.today(), value=indicator.target))
    db.session.flush()
