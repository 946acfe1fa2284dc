"""The door adds walk-ins (a known contact not invited, a new person) and marks them present; reminders in
minutes; the description keeps its line breaks, escaped."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from crm.db import utcnow
from wtforms.validators import ValidationError
from crm.events import answers, services
from crm.events.forms import format_reminders, parse_reminders
from crm.events.models import Invitation
from crm.extensions import db
from crm.mail.models import Delivery
from crm.partners.models import Contact, Organisation
from tests.events.helpers import make_contact


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_door_adds_a_known_contact_who_was_not_invited(client: Any, login: Any, make_event: Any,
                                                           contacts: Any) -> None:
    event = make_event()
    services.invite_contacts(event, [contacts[0].id])
    db.session.commit()
    outsider = make_contact("Gaël", "Dupré", "gael.dupre@example.org")
    db.session.commit()
    login("editor")  # a viewer gets 403 on these POSTs: tests/test_access.py
    page = _text(client.get(f"/admin/evenements/{event.id}/accueil?q=dupre"))
    assert "Contacts connus, non invités" in page and "Dupré" in page
    # Someone already invited is not offered twice.
    assert "Ajouter, présent" not in _text(client.get(f"/admin/evenements/{event.id}/accueil?q=aubert"))
    sent = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))
    response = client.post(f"/admin/evenements/{event.id}/accueil/contact/{outsider.id}")
    assert response.status_code == 302
    invitation = db.session.scalars(sa.select(Invitation).where(Invitation.contact_id == outsider.id)).one()
    assert invitation.status == "attended" and invitation.attendance_marked_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == sent  # no invitation mail
    assert services.counts(event)["came"] == 1
    # Twice: still one invitation.
    client.post(f"/admin/evenements/{event.id}/accueil/contact/{outsider.id}")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)
                             .where(Invitation.contact_id == outsider.id)) == 1


def test_the_door_creates_a_new_person_and_marks_them_present(client: Any, login: Any, make_event: Any) -> None:
    event = make_event()
    login("editor")
    response = client.post(f"/admin/evenements/{event.id}/accueil/nouvelle-personne", data={
        "first_name": "Maëlle", "last_name": "Fournier", "organisation": "Usinage du Perche",
        "email": "Maelle.Fournier@Example.org"})
    assert response.status_code == 302
    person = db.session.scalar(sa.select(Contact).where(Contact.email == "maelle.fournier@example.org"))
    assert person is not None and person.organisation.name == "Usinage du Perche"
    invitation = db.session.scalars(sa.select(Invitation).where(Invitation.contact_id == person.id)).one()
    assert invitation.status == "attended"
    # The same address again: no twin, the known contact is marked.
    client.post(f"/admin/evenements/{event.id}/accueil/nouvelle-personne", data={
        "first_name": "M.", "last_name": "F.", "organisation": "Usinage du Perche", "email": "maelle.fournier@example.org"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)
                             .where(Contact.last_name == "Fournier")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1
    # Bad input: a French message, nothing written.
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Contact))
    response = client.post(f"/admin/evenements/{event.id}/accueil/nouvelle-personne", data={
        "first_name": "Sans", "last_name": "Adresse", "email": "pas-une-adresse"}, follow_redirects=True)
    assert "adresse" in _text(response).lower()
    response = client.post(f"/admin/evenements/{event.id}/accueil/nouvelle-personne", data={
        "email": "anonyme@example.org"}, follow_redirects=True)
    assert "Indiquez au moins le nom ou le prénom." in _text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == before


def test_reminders_in_minutes(make_event: Any, contacts: Any) -> None:
    assert parse_reminders("1 j, 2 h, 30 min, 15 minutes, 5 mn") == [1440, 120, 30, 15, 5]
    with pytest.raises(ValidationError):
        parse_reminders("0 min")
    with pytest.raises(ValidationError):
        parse_reminders("30 secondes")
    event = make_event(reminder_minutes=[30, 120])
    assert format_reminders(event) == "2 h, 30 min" or format_reminders(event) == "30 min, 2 h"
    invitation = services.invite_contacts(event, [contacts[0].id]).added[0]
    db.session.commit()
    answers.answer(invitation.id, True)
    db.session.commit()
    due = sorted(event.starts_at - d.next_attempt_at for d in db.session.scalars(
        sa.select(Delivery).where(Delivery.kind == "reminder", Delivery.status == "queued")))
    assert due == [timedelta(minutes=30), timedelta(hours=2)]


def test_the_reminder_job_runs_every_few_minutes(app: Any) -> None:
    from crm.extensions import declared_jobs

    job = next(job for job in declared_jobs(app) if job.id == "event_reminders")
    assert timedelta(**job.schedule(app.config)) <= timedelta(minutes=5)


def test_the_description_keeps_its_line_breaks_safely(client: Any, login: Any, make_event: Any) -> None:
    event = make_event(description="Ordre du jour :\n1. Bilan\n2. <script>alert(1)</script> Projets")
    login("viewer")
    page = client.get(f"/admin/evenements/{event.id}").get_data(as_text=True)
    assert "Ordre du jour :<br>\n1. Bilan<br>\n2. &lt;script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    assert event.starts_at > utcnow()
