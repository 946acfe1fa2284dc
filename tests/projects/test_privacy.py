"""A person's export holds the projects they are the contact of and the tasks about them; an erasure takes the
person's identity away while the project stays with the organisation."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from crm.extensions import db
from crm.privacy.erasure import erase_contact
from crm.privacy.export import export_contact, readable_sections
from crm.projects.models import Project, ProjectContact
from crm.tasks import services as tasks
from crm.tasks.models import Task
from tests.projects.helpers import organisation, project, team_member


def test_export_then_erasure_of_a_projects_contact(app) -> None:
    owner = team_member()
    org = organisation("Chaudronnerie Fictive")
    item = project(owner, org, title="Nouvel atelier", description="Porté par Dominique Exemple, dirigeant.")
    person = item.person.contact
    tasks.create_task(tasks.TaskInput(title="Rappeler Dominique Exemple", due_on=date.today(), owner_id=owner.id,
                                      notes="Au 01 99 00 00 00", contact_id=person.id), owner.id)
    db.session.commit()

    data = export_contact(person)
    assert [row["project_id"] for row in data["tables"]["project_contacts.contact_id"]] == [item.id]
    assert data["references"][f"projects#{item.id}"] == "Nouvel atelier"
    assert [row["title"] for row in data["tables"]["tasks.contact_id"]] == ["Rappeler Dominique Exemple"]
    titles = {section.title for section in readable_sections(data)}
    assert {"Projets d'entreprise suivis avec la personne", "Tâches de l'équipe"} <= titles

    erase_contact(person, user_id=owner.id)
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Project, item.id)
    assert kept is not None and kept.organisation_id == org.id and kept.title == "Nouvel atelier"
    assert "Dominique Exemple" not in kept.description and "dirigeant" in kept.description
    link = db.session.scalar(sa.select(ProjectContact).where(ProjectContact.project_id == item.id))
    assert link.contact.email is None and link.contact.last_name == "Personne effacée"
    task = db.session.scalar(sa.select(Task).where(Task.contact_id == person.id))
    assert "Dominique Exemple" not in task.title and task.notes == "[effacé]"
