"""The Tâches page: mine or everyone's, overdue first; a task about a contact, an organisation or a project,
added by an editor, done and reopened; bad input writes nothing; a viewer reads only."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm.errors import ValidationError
from crm.extensions import db
from crm.tasks import services
from crm.tasks.models import Task
from tests.factories import contact
from tests.fixtures import PASSWORD
from tests.projects.helpers import organisation, project, team_member


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _log_in(client, user) -> None:
    assert client.post("/connexion", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_my_tasks_overdue_first_and_the_whole_teams(client) -> None:
    me = team_member("moi@example.org", "Moi Fictive")
    other = team_member("autre@example.org", "Autre Fictif")
    org = organisation("Forge Fictive")
    person = contact("personne@example.org", "Paule", "Fictive", organisation=org)
    day = services.today()
    for title, owner, days, fields in [("Dans une semaine", me, 7, {"contact_id": person.id}),
                                       ("En retard de deux jours", me, -2, {"organisation_id": org.id}),
                                       ("Aujourd'hui", me, 0, {}), ("Celle d'un autre", other, -5, {})]:
        services.create_task(services.TaskInput(title=title, due_on=day + timedelta(days=days), owner_id=owner.id,
                                                **fields), me.id)
    db.session.commit()
    _log_in(client, me)
    mine = _page(client.get("/admin/taches/"))
    assert "Celle d'un autre" not in mine
    order = [mine.index(t) for t in ("En retard de deux jours", "Aujourd'hui", "Dans une semaine")]
    assert order == sorted(order)
    assert "en retard" in mine and "Paule Fictive" in mine and "Forge Fictive" in mine
    everyone = _page(client.get("/admin/taches/?qui=all"))
    assert everyone.index("Celle d'un autre") < everyone.index("En retard de deux jours")
    dashboard = _page(client.get("/admin/"))
    assert "mes tâches en retard" in dashboard


def test_an_editor_adds_a_task_about_a_project_completes_and_reopens_it(client) -> None:
    editor = team_member()
    item = project(editor)
    db.session.commit()
    _log_in(client, editor)
    form = _page(client.get(f"/admin/taches/nouvelle?subject_kind=project&subject_id={item.id}"))
    assert "Nouvelle presse" in form
    due = (services.today() + timedelta(days=3)).isoformat()
    answer = client.post("/admin/taches/nouvelle", data={"title": "Visite du site", "due_on": due,
                                                         "owner_id": editor.id, "subject_kind": "project",
                                                         "subject_id": item.id})
    assert answer.status_code == 302
    task = db.session.scalar(sa.select(Task).where(Task.title == "Visite du site"))
    assert task.subject_kind == "project" and task.subject_id == item.id
    project_page = _page(client.get(f"/admin/projets/{item.id}"))
    assert "Visite du site" in project_page
    assert client.post(f"/admin/taches/{task.id}/faite").status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "faite" and db.session.get(Task, task.id).done_at is not None
    again = _page(client.post(f"/admin/taches/{task.id}/faite", follow_redirects=True))
    assert "déjà dans cet état" in again
    client.post(f"/admin/taches/{task.id}/rouvrir")
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "ouverte"


def test_bad_input_is_refused_in_french_and_writes_nothing(client, app) -> None:
    editor = team_member()
    viewer = team_member("lecteur@example.org", role="viewer")
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        services.create_task(services.TaskInput(title=" ", due_on=None, owner_id=viewer.id, subject_kind="project",
                                                subject_id=999), editor.id)
    assert refused.value.errors == {"title": "Indiquez ce qu'il faut faire.", "due_on": "Indiquez une échéance.",
                                    "owner_id": "Choisissez la personne de l'équipe qui s'en charge.",
                                    "subject_kind": "Ce à quoi la tâche se rapporte n'existe pas."}
    db.session.rollback()
    _log_in(client, editor)
    page = _page(client.post("/admin/taches/nouvelle", data={"title": "", "due_on": "", "owner_id": editor.id}))
    assert "rien n'a été enregistré" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0


def test_a_viewer_reads_tasks_but_cannot_add_or_complete_one(client) -> None:
    editor = team_member()
    viewer = team_member("lecteur@example.org", role="viewer")
    services.create_task(services.TaskInput(title="À faire", due_on=services.today(), owner_id=editor.id), editor.id)
    db.session.commit()
    task_id = db.session.scalar(sa.select(Task.id))
    _log_in(client, viewer)
    page = _page(client.get("/admin/taches/?qui=all"))
    assert "À faire" in page and "Nouvelle tâche" not in page
    assert client.post("/admin/taches/nouvelle", data={"title": "x"}).status_code == 403
    assert client.post(f"/admin/taches/{task_id}/faite").status_code == 403
    assert db.session.get(Task, task_id).status == "ouverte"


def test_tasks_about_an_event_or_a_request_link_to_them(client) -> None:
    from crm.events.models import Event
    from crm.signup.models import RequestKind, Signup, SignupRequest

    editor = team_member()
    from crm.db import utcnow

    starts = utcnow() + timedelta(days=10)
    event = Event(uid="tache@test", kind="comite_technique", title="Comité technique fictif", starts_at=starts,
                  ends_at=starts + timedelta(hours=2))
    person = contact("demandeuse@example.org", "Denise", "Fictive")
    signup = Signup(contact_id=person.id, wording_version="test")
    db.session.add_all([event, signup])
    db.session.flush()
    request = SignupRequest(signup_id=signup.id, contact_id=person.id, kind=RequestKind.JOIN.value, status="open")
    db.session.add(request)
    db.session.flush()
    services.create_task(services.TaskInput(title="Réserver la salle", due_on=services.today(), owner_id=editor.id,
                                            subject_kind="event", subject_id=event.id), editor.id)
    services.create_task(services.TaskInput(title="Appeler la demandeuse", due_on=services.today(),
                                            owner_id=editor.id, subject_kind="signup_request",
                                            subject_id=request.id, contact_id=person.id), editor.id)
    db.session.commit()
    with pytest.raises(ValidationError):
        services.create_task(services.TaskInput(title="x", due_on=services.today(), owner_id=editor.id,
                                                subject_kind="event", subject_id=event.id + 100), editor.id)
    db.session.rollback()
    _log_in(client, editor)
    page = _page(client.get("/admin/taches/"))
    assert "Comité technique fictif" in page
    assert "Rejoindre la démarche Territoires d'industrie — Denise Fictive" in page
    assert "Ajouter une tâche" in _page(client.get(f"/admin/evenements/{event.id}"))
