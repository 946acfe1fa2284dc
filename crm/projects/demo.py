"""Fictional demo data: a dozen firms' projects at every stage, some funded, some with an overdue next step."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from crm.actions.models import FundingLine, FundingStatus
from crm.auth.models import Role, User
from crm.auth.services import create_user
from crm.db import utcnow
from crm.extensions import db
from crm.partners.models import Axis, Contact, Organisation
from crm.projects.models import STAGES, Project, ProjectContact, ProjectKind, Stage, StageChange
from crm.projects.services import SUBJECT
from crm.tasks.models import Task

# (title, kind, axis code, investment, jobs created, jobs kept, final stage, next step due in days)
PROJECTS = [
    ("Nouvelle ligne d'injection", ProjectKind.INVESTMENT, "innovation", 850_000, 6, 20, Stage.FIRST_EXCHANGE, 5),
    ("Extension de l'atelier de moulage", ProjectKind.SITE, "foncier", 1_200_000, 10, 35, Stage.QUALIFICATION, -4),
    ("Robotisation du conditionnement", ProjectKind.INVESTMENT, "innovation", 640_000, 3, 28, Stage.SUPPORT, 12),
    ("Récupération de chaleur sur les fours", ProjectKind.ENERGY, "transition", 420_000, 0, 15, Stage.SUPPORT, -10),
    ("Centre de formation interne", ProjectKind.SKILLS, "competences", 180_000, 4, 0, Stage.FUNDING_REQUESTED, 20),
    ("Ombrières photovoltaïques", ProjectKind.ENERGY, "transition", 560_000, 1, 0, Stage.FUNDING_REQUESTED, -2),
    ("Implantation sur la zone d'activités nord", ProjectKind.SITE, "foncier", 3_400_000, 45, 0, Stage.FUNDED, 30),
    ("Ligne de recyclage des chutes composites", ProjectKind.INNOVATION, "transition", 980_000, 8, 12, Stage.FUNDED, -7),
    ("Modernisation de la laiterie", ProjectKind.INVESTMENT, "innovation", 2_100_000, 12, 60, Stage.DONE, None),
    ("Jumeau numérique de l'usine", ProjectKind.INNOVATION, "innovation", 300_000, 2, 0, Stage.PAUSED, 45),
    ("Groupement d'employeurs saisonniers", ProjectKind.SKILLS, "competences", 50_000, 5, 0, Stage.ABANDONED, None),
    ("Nouvel entrepôt logistique", ProjectKind.SITE, "foncier", 1_750_000, 14, 0, Stage.QUALIFICATION, 3),
]
CHAIN = [Stage.FIRST_EXCHANGE, Stage.QUALIFICATION, Stage.SUPPORT, Stage.FUNDING_REQUESTED, Stage.FUNDED, Stage.DONE]
TEAM = [("chargee.projets.demo@example.org", "Chargée de mission (démo)"),
        ("developpeur.eco.demo@example.org", "Développeur économique (démo)")]


def _team() -> list[int]:
    """The team's accounts; without any (a fresh demo), two fictional editors no one can log in as (their
    password is random and shown nowhere)."""
    users = [u for u in db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.id))
             if u.has_role(Role.EDITOR.value)]
    if not users:
        users = [create_user(email, secrets.token_urlsafe(24), Role.EDITOR.value, name) for email, name in TEAM]
        db.session.flush()
    return [u.id for u in users]


def _path(final: Stage) -> list[Stage]:
    if final in CHAIN:
        return CHAIN[:CHAIN.index(final) + 1]
    return [Stage.FIRST_EXCHANGE, Stage.QUALIFICATION, final]


def load() -> list[int]:
    owners = _team()
    axes = dict(db.session.execute(sa.select(Axis.code, Axis.id)).all())
    firms = list(db.session.execute(
        sa.select(Organisation.id, Organisation.commune, sa.func.min(Contact.id))
        .join(Contact, Contact.organisation_id == Organisation.id).where(Organisation.siret.is_not(None))
        .group_by(Organisation.id, Organisation.commune).order_by(Organisation.id)).all())
    funders = list(db.session.scalars(sa.select(Organisation.id).where(Organisation.siret.is_(None))
                                      .order_by(Organisation.id).limit(3))) or [firms[0][0]] if firms else []
    if not firms:
        return []
    now, today = utcnow(), date.today()
    ids = []
    for index, (title, kind, axis, investment, created, kept, final, due) in enumerate(PROJECTS):
        firm_id, commune, contact_id = firms[index % len(firms)]
        path = _path(final)
        started = now - timedelta(days=40 * len(path) + 7 * index)
        project = Project(organisation_id=firm_id, title=title, kind=kind.value, axis_id=axes.get(axis),
                          description="Projet fictif de démonstration.", investment=Decimal(investment),
                          jobs_created=created, jobs_kept=kept, commune=commune or "", zone="",
                          stage=final.value, owner_id=owners[index % len(owners)],
                          closing_reason="Projet reporté par l'entreprise (fictif)." if final in (
                              Stage.ABANDONED, Stage.PAUSED) else "")
        project.person = ProjectContact(contact_id=contact_id)
        db.session.add(project)
        db.session.flush()
        at, previous = started, None
        for stage in path:
            db.session.add(StageChange(project_id=project.id, from_stage=previous, to_stage=stage.value,
                                       changed_at=at))
            project.stage_since = at
            previous = stage.value
            at = at + timedelta(days=20 + (index * 7 + len(previous)) % 20)
        if STAGES.index(final) >= STAGES.index(Stage.FUNDING_REQUESTED) and final not in (
                Stage.PAUSED, Stage.ABANDONED):
            granted = final in (Stage.FUNDED, Stage.DONE)
            requested = (Decimal(investment) * Decimal("0.2")).quantize(Decimal("0.01"))
            db.session.add(FundingLine(
                project_id=project.id, funder_id=funders[index % len(funders)], scheme="Fonds Territoires d'industrie",
                amount_requested=requested, amount_granted=(requested * Decimal("0.8")).quantize(Decimal("0.01"))
                if granted else None, status=(FundingStatus.GRANTED if granted else FundingStatus.REQUESTED).value,
                requested_on=today - timedelta(days=90), decided_on=today.replace(month=1, day=2) if granted else None))
        if due is not None:
            db.session.add(Task(title="Point d'étape avec l'entreprise" if due >= 0 else "Relancer l'entreprise",
                                due_on=today + timedelta(days=due), owner_id=project.owner_id,
                                organisation_id=firm_id, subject_kind=SUBJECT, subject_id=project.id))
        ids.append(project.id)
    db.session.flush()
    return ids
