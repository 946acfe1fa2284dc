"""The events back office: create, edit, invite, counts and filters, door attendance, export, duplicate."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.events import answers, services
from crm.events.models import Event, Invitation
from crm.extensions import db
from crm.mail.models import Delivery

PARIS = ZoneInfo("Europe/Paris")


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


FORM = {"kind": "comite_technique", "title": "Comité technique semestriel — printemps 2027",
        "starts_at": "2027-03-26T14:00", "ends_at": "2027-03-26T17:00", "place": "Hôtel de ville, Alençon",
        "capacity": "40", "answer_deadline": "2027-03-19T18:00", "reminders": "7 j, 1 j", "description": ""}


def test_create_event_in_paris_time_stored_utc_with_default_reminders(client: Any, login: Any) -> None:
    login("editor")
    response = client.post("/admin/evenements/nouveau", data=FORM)
    assert response.status_code == 302
    event = db.session.scalar(sa.select(Event))
    assert event.starts_at == datetime(2027, 3, 26, 13, 0, tzinfo=UTC)  # 14:00 in Paris, winter time
    assert event.answer_deadline == datetime(2027, 3, 19, 17, 0, tzinfo=UTC)
    assert [r.minutes_before for r in event.reminder_rules] == [7 * 1440, 1440]
    page = _text(client.get(response.headers["Location"]))
    assert "vendredi 26 mars 2027 de 14h00 à 17h00" in page
    assert "7 j, 1 j" in page


def test_bad_event_form_says_why_in_french_and_saves_nothing(client: Any, login: Any) -> None:
    login("editor")
    bad = {**FORM, "ends_at": "2027-03-26T13:00", "reminders": "bientôt"}
    response = client.post("/admin/evenements/nouveau", data=bad)
    assert response.status_code == 200
    page = _text(response)
    assert "Rappel illisible" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
    response = client.post("/admin/evenements/nouveau", data={**FORM, "ends_at": "2027-03-26T13:00"})
    assert "La fin doit être après le début." in _text(response)
    response = client.post("/admin/evenements/nouveau", data={**FORM, "starts_at": "2027-03-28T02:30"})
    assert "passage à l'heure d'été" in _text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_viewer_reads_but_cannot_write(client: Any, login: Any, make_event: Any) -> None:
    event = make_event()
    login("viewer")
    assert client.get(f"/admin/evenements/{event.id}").status_code == 200
    assert client.post(f"/admin/evenements/{event.id}/annuler").status_code == 403
    assert client.post("/admin/evenements/nouveau", data=FORM).status_code == 403


def test_invite_by_hand_counts_filters_and_resend(client: Any, login: Any, make_event: Any, contacts: Any) -> None:
    login("editor")
    event = make_event()
    emails = "\n".join([contacts[0].email, contacts[1].email, "inconnu@example.org"])
    response = client.post(f"/admin/evenements/{event.id}/inviter/adresses", data={"emails": emails, "send": "y"},
                           follow_redirects=True)
    page = _text(response)
    assert "2 invité(s) ajouté(s)." in page and "inconnu@example.org" in page
    invitations = list(db.session.scalars(sa.select(Invitation).order_by(Invitation.id)))
    answers.answer(invitations[0].id, True)
    db.session.commit()
    page = _text(client.get(f"/admin/evenements/{event.id}"))
    figures = [line for line in page.split("<li><strong>")[1:7]]
    assert [f.split("</strong>")[0] for f in figures] == ["2", "1", "0", "0", "1", "0"]
    filtered = _text(client.get(f"/admin/evenements/{event.id}?status=accepted"))
    assert "Aubert" in filtered and "Bernier" not in filtered
    searched = _text(client.get(f"/admin/evenements/{event.id}?q=bern"))
    assert "Bernier" in searched and "Aubert Camille" not in searched
    # Resend goes to those without an answer only.
    client.post(f"/admin/evenements/{event.id}/relancer")
    resent = list(db.session.scalars(sa.select(Delivery).where(Delivery.dedupe_key.like("%:resend:%"))))
    assert [d.source_id for d in resent] == [invitations[1].id]


def test_invite_segment_from_the_page(client: Any, login: Any, make_event: Any, contacts: Any) -> None:
    from crm.segments.services import SegmentCriteria, save_segment

    contacts[2].ambassador_status = "active"
    segment = save_segment("Ambassadeurs", "", SegmentCriteria(ambassador="active"))
    db.session.commit()
    login("editor")
    event = make_event()
    assert "Ambassadeurs" in _text(client.get(f"/admin/evenements/{event.id}"))
    client.post(f"/admin/evenements/{event.id}/inviter/segment", data={"segment": str(segment.id)})
    assert [i.contact_id for i in db.session.scalars(sa.select(Invitation))] == [contacts[2].id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0  # "send" left unticked
    client.post(f"/admin/evenements/{event.id}/envoyer")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(
        Delivery.kind == "invitation")) == 1
    response = client.post(f"/admin/evenements/{event.id}/inviter/segment", data={"segment": "999"},
                           follow_redirects=True)
    assert "Choisissez un segment existant." in _text(response)


def test_door_marks_attendance_without_and_with_javascript(client: Any, login: Any, make_event: Any,
                                                           contacts: Any) -> None:
    login("editor")
    event = make_event()
    first, second, _ = services.invite_contacts(event, [c.id for c in contacts]).added
    db.session.commit()
    answers.answer(first.id, True)
    answers.answer(second.id, True)
    db.session.commit()
    page = _text(client.get(f"/admin/evenements/{event.id}/accueil"))
    assert "Aubert" in page and "Bernier" in page and "Carpentier" not in page  # the yes only, until searched
    assert "Carpentier" in _text(client.get(f"/admin/evenements/{event.id}/accueil?q=carp"))
    response = client.post(f"/admin/evenements/{event.id}/accueil/{first.id}", data={"came": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#invitation-{first.id}")
    response = client.post(f"/admin/evenements/{event.id}/accueil/{second.id}", data={"came": "0"},
                           headers={"Accept": "application/json"})
    assert response.get_json() == {"status": "no_show", "label": "Absent", "came": 1}
    assert client.post(f"/admin/evenements/{event.id}/accueil/{second.id}", data={"came": "maybe"},
                       headers={"Accept": "application/json"}).status_code == 400
    other = make_event()
    assert client.post(f"/admin/evenements/{other.id}/accueil/{first.id}", data={"came": "1"}).status_code == 404
    db.session.expire_all()
    assert services.counts(db.session.get(Event, event.id))["came"] == 1


def test_csv_export_for_french_excel(client: Any, login: Any, make_event: Any, contacts: Any) -> None:
    login("viewer")
    event = make_event()
    invitation = services.invite_contacts(event, [contacts[0].id]).added[0]
    db.session.commit()
    answers.answer(invitation.id, True)
    db.session.commit()
    response = client.get(f"/admin/evenements/{event.id}/export.csv")
    assert response.mimetype == "text/csv"
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeffNom;Prénom;E-mail;")
    lines = body.split("\r\n")
    assert lines[1].startswith("Aubert;Camille;camille.aubert@example.org;") and ";Oui;" in lines[1]


def test_duplicate_for_next_semester_keeps_paris_wall_clock(client: Any, login: Any, make_event: Any,
                                                           contacts: Any) -> None:
    login("editor")
    starts = datetime(2027, 3, 26, 14, 0, tzinfo=PARIS).astimezone(UTC)  # winter time
    event = make_event(starts_at=starts, ends_at=starts + timedelta(hours=3), capacity=30,
                       reminder_minutes=[1440, 120])
    services.invite_contacts(event, [contacts[0].id])
    db.session.commit()
    response = client.post(f"/admin/evenements/{event.id}/dupliquer")
    assert response.status_code == 302
    copy = db.session.scalars(sa.select(Event).where(Event.id != event.id)).one()
    assert copy.starts_at.astimezone(PARIS) == datetime(2027, 9, 26, 14, 0, tzinfo=PARIS)  # summer time
    assert copy.uid != event.uid and copy.sequence == 0 and copy.capacity == 30
    assert [r.minutes_before for r in copy.reminder_rules] == [1440, 120]
    assert copy.invitations == []


def test_event_list_shows_counts(client: Any, login: Any, make_event: Any, contacts: Any) -> None:
    login("viewer")
    event = make_event(title="Visite de l'usine", kind="visite", capacity=12)
    services.invite_contacts(event, [c.id for c in contacts])
    db.session.commit()
    page = _text(client.get("/admin/evenements/"))
    assert "Visite de l'usine" in page and "Visite d'entreprise" in page
    assert "<td>3</td>" in page and "<td>0 / 12</td>" in page


def test_withdrawing_an_invitation_voids_its_link_and_frees_the_seat(client: Any, login: Any, make_event: Any,
                                                                    contacts: Any) -> None:
    from crm.events.tokens import rsvp_url

    login("editor")
    event = make_event(capacity=1)
    first, second, _ = services.invite_contacts(event, [c.id for c in contacts]).added
    db.session.commit()
    answers.answer(first.id, True)
    answers.answer(second.id, True)
    db.session.commit()
    link = rsvp_url(first).removeprefix("http://localhost")
    client.post(f"/admin/evenements/{event.id}/invites/{first.id}/retirer")
    db.session.expire_all()
    assert db.session.get(Invitation, first.id).status == "cancelled"
    assert db.session.get(Invitation, second.id).status == "accepted"
    assert client.post(link, data={"answer": "yes"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(
        Delivery.source_id == first.id, Delivery.status == "queued")) == 0
