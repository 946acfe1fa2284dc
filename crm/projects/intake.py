"""A project from an accepted « Échanger sur un projet » request of the signup form (the ``signup.project_accepted``
hook the requests inbox calls): the firm, its person and the description from the form, the link to the request
kept, the accepting user as owner with a first step due in a week, and a mail telling the firm who follows it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from crm.errors import ValidationError
from crm.extensions import db
from crm.projects import mails, services
from crm.projects.models import Project
from crm.tasks.services import in_a_week

TITLE_LENGTH = 80


def _title(message: str, organisation_name: str) -> str:
    first_line = " ".join(message.split())
    if not first_line:
        return f"Projet de {organisation_name}"[:200]
    return first_line if len(first_line) <= TITLE_LENGTH else first_line[:TITLE_LENGTH - 1].rstrip() + "…"


def from_signup_request(request: Any, user_id: int | None) -> Project:
    """``request`` is the signup's ``SignupRequest`` (of kind project); raises ValidationError in French."""
    existing = db.session.scalar(sa.select(Project).where(Project.signup_request_id == request.id))
    if existing is not None:
        return existing
    signup = request.signup
    contact = signup.contact
    organisation = signup.organisation or contact.organisation
    if organisation is None:
        raise ValidationError("La demande n'indique pas d'entreprise : rattachez d'abord la personne à une "
                              "structure, puis acceptez la demande.")
    data = services.ProjectInput(organisation_id=organisation.id, title=_title(signup.message or "", organisation.name),
                                 description=signup.message or "", owner_id=user_id, contact_id=contact.id)
    project = services.create_project(data, services.FIRST_STEP, in_a_week(), user_id=user_id,
                                      signup_request_id=request.id)
    mails.send_followed(project, contact)
    return project


def accept_hook(request: Any, user_id: int | None) -> dict[str, Any]:
    """What the inbox shows once the project exists: its title and who follows it."""
    project = from_signup_request(request, user_id)
    return {"title": project.title, "owner": project.owner.display_name if project.owner else ""}
