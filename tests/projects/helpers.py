"""Fictional firms, people and projects for the projects' tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from crm.actions.services import FundingInput
from crm.auth.models import User
from crm.auth.services import create_user
from crm.extensions import db
from crm.partners.models import Organisation
from crm.partners.normalize import search_key
from crm.projects import services
from crm.projects.models import Project
from tests.factories import contact


def organisation(name: str = "Fonderie Fictive du Perche", commune: str = "Alençon") -> Organisation:
    org = Organisation(name=name, name_key=search_key(name), commune=commune, commune_key=search_key(commune))
    db.session.add(org)
    db.session.flush()
    return org


def team_member(email: str = "chargee@example.org", name: str = "Claire Fictive", role: str = "editor") -> User:
    user = create_user(email, "correct horse battery", role, name)
    db.session.flush()
    return user


def project(owner: User, org: Organisation | None = None, *, title: str = "Nouvelle presse", person: bool = True,
            due_in: int = 7, **fields: Any) -> Project:
    org = org or organisation()
    someone = contact(f"dirigeant.{org.id}@example.org", "Dominique", "Exemple", organisation=org) if person else None
    item = services.create_project(
        services.ProjectInput(organisation_id=org.id, title=title, owner_id=owner.id,
                              contact_id=someone.id if someone else None, **fields),
        "Premier rendez-vous", date.today() + timedelta(days=due_in), user_id=owner.id)
    db.session.flush()
    return item


def grant(item: Project, funder: Organisation, requested: str = "100000", granted: str | None = "80000",
          decided_on: date | None = None) -> Any:
    return services.add_funding(item, FundingInput(
        funder_id=funder.id, scheme="Fonds Territoires d'industrie", amount_requested=Decimal(requested),
        amount_granted=granted, status="accorde" if granted is not None else "demande",
        decided_on=decided_on or date.today()))
