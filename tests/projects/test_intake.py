"""An « Échanger sur un projet » request, confirmed then accepted in the inbox, becomes a project: the firm, the
person and the description from the form, the link to the request, the accepting user as owner with a first
step due in a week, and a mail to the firm naming who follows it."""

from __future__ import annotations

import html
from datetime import timedelta

import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.extensions import db
from crm.mail.models import Delivery
from crm.partners.models import Contact
from crm.projects import services
from crm.projects.models import Project
from crm.signup.models import SignupRequest
from crm.tasks.services import today
from tests.signup.helpers import form_data, link_in, path_of, text_of


def _confirmed(client, outbox, **overrides) -> None:
    assert client.post("/inscription", data=form_data(**overrides)).status_code == 303
    assert client.post(path_of(link_in(outbox[-1], "/inscription/confirmer/"))).status_code == 200


def _request() -> SignupRequest:
    db.session.expire_all()
    return db.session.scalars(sa.select(SignupRequest).where(SignupRequest.kind == "project")).one()


def test_an_accepted_project_request_becomes_a_followed_project(client, outbox, login) -> None:
    _confirmed(client, outbox, requests=["project"], message="Extension de notre atelier de moulage à Alençon")
    user = login("editor")
    inbox = html.unescape(client.get("/admin/demandes/").get_data(as_text=True))
    assert "Accepter : créer le projet" in inbox
    item = _request()
    sent_before = len(outbox)
    answer = client.post(f"/admin/demandes/{item.id}/projet", follow_redirects=True)
    assert "Projet « Extension de notre atelier de moulage à Alençon » créé, suivi par" in html.unescape(
        answer.get_data(as_text=True))
    project = db.session.scalars(sa.select(Project)).one()
    person = db.session.scalar(sa.select(Contact).where(Contact.email == "anne.martin@example.org"))
    assert project.organisation.name == "Plasturgie du Perche" and project.person.contact_id == person.id
    assert project.description == "Extension de notre atelier de moulage à Alençon"
    assert project.signup_request_id == item.id and project.owner_id == user.id
    assert project.stage == "premier_echange"
    step = services.next_steps([project.id])[project.id]
    assert step.owner_id == user.id and step.due_on == today() + timedelta(days=7)
    item = _request()
    assert item.status == "accepted" and item.note.done_at is not None and item.decided_by_id == user.id
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "signup_project")) is not None
    # The firm is told who follows its project.
    assert len(outbox) == sent_before + 1
    mail = outbox[-1]
    assert mail.subject == "Votre projet — Territoires d'industrie"
    assert "suit désormais votre projet" in text_of(mail) and user.email in text_of(mail)
    assert db.session.scalar(sa.select(Delivery.kind).order_by(Delivery.id.desc())) == "project_followed"
    # Accepting twice does not make a second project.
    again = client.post(f"/admin/demandes/{item.id}/projet", follow_redirects=True)
    assert "n'est plus à traiter" in html.unescape(again.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 1


def test_a_request_of_another_kind_or_by_a_viewer_makes_no_project(client, outbox, login) -> None:
    _confirmed(client, outbox, requests=["join"])
    join = db.session.scalars(sa.select(SignupRequest)).one()
    login("viewer")
    assert client.post(f"/admin/demandes/{join.id}/projet").status_code == 403
    client.post("/deconnexion")
    login("editor")
    page = client.post(f"/admin/demandes/{join.id}/projet", follow_redirects=True)
    assert "Cette action ne s'applique pas à cette demande." in html.unescape(page.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0


def test_a_request_without_a_firm_is_refused_clearly_and_changes_nothing(client, outbox, login) -> None:
    _confirmed(client, outbox, requests=["project"])
    login("editor")
    item = _request()
    item.signup.organisation_id = None  # the form asks for a firm; a record may have lost it since
    item.signup.contact.organisation_id = None
    db.session.commit()
    page = client.post(f"/admin/demandes/{item.id}/projet", follow_redirects=True)
    assert "La demande n'indique pas d'entreprise" in html.unescape(page.get_data(as_text=True))
    assert _request().status == "open"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0
