"""The back office: the requests inbox, tasks, ambassador decisions, the kit and the contact's consent panel."""

from __future__ import annotations

import html
import io
from datetime import date

import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.extensions import db
from crm.partners.models import AmbassadorStatus, Contact, Note
from crm.signup.models import SignupRequest
from crm.security import make_token
from crm.signup.wording import CONSENT_VERSION
from tests.signup.helpers import form_data, link_in, path_of


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _confirmed(client, outbox, **overrides) -> Contact:
    assert client.post("/inscription", data=form_data(**overrides)).status_code == 303
    assert client.post(path_of(link_in(outbox[-1], "/inscription/confirmer/"))).status_code == 200
    return db.session.scalar(sa.select(Contact).where(Contact.email == form_data(**overrides)["email"]))


def _request(kind: str) -> SignupRequest:
    db.session.expire_all()
    return db.session.scalars(sa.select(SignupRequest).where(SignupRequest.kind == kind)).one()


def test_inbox_lists_signups_with_their_requests_and_needs_a_login(client, outbox, login):
    assert client.get("/admin/demandes/").status_code == 302
    client.post("/inscription", data=form_data(requests=["join", "kit"]))
    login("viewer")
    page = _page(client.get("/admin/demandes/?filtre=all"))
    assert "Anne Martin" in page and "Plasturgie du Perche" in page and "non confirmée" in page
    assert "Rejoindre la démarche" in page and "En attente de confirmation de l'adresse" in page
    assert "Aucune demande." in _page(client.get("/admin/demandes/"))  # nothing to act on before confirmation


def test_project_request_is_a_task_until_marked_done(client, outbox, login):
    _confirmed(client, outbox, requests=["project"])
    user = login("editor")
    item = _request("project")
    assert item.note.kind == "task" and item.note.done_at is None
    assert "Échanger sur un projet" in _page(client.get("/admin/demandes/"))
    assert client.post(f"/admin/demandes/{item.id}/traitee").status_code == 302
    item = _request("project")
    assert item.status == "done" and item.note.done_at is not None and item.decided_by_id == user.id
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "signup_done")) is not None
    again = client.post(f"/admin/demandes/{item.id}/traitee", follow_redirects=True)
    assert "n'est plus à traiter" in _page(again)


def test_task_done_from_the_timeline_closes_the_request(client, outbox, login):
    _confirmed(client, outbox, requests=["project"])
    login("editor")
    note = db.session.scalar(sa.select(Note))
    assert client.post(f"/admin/notes/{note.id}/fait").status_code == 302
    assert _request("project").effective_status == "done"
    assert "Aucune demande." in _page(client.get("/admin/demandes/"))


def test_ambassador_candidate_accepted_with_its_date(client, outbox, login):
    contact = _confirmed(client, outbox, requests=["ambassador"])
    assert contact.ambassador_status == AmbassadorStatus.CANDIDATE.value
    login("editor")
    item = _request("ambassador")
    client.post(f"/admin/demandes/{item.id}/accepter")
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert contact.ambassador_status == AmbassadorStatus.ACTIVE.value
    assert contact.ambassador_since == date.today()
    assert _request("ambassador").status == "accepted" and _request("ambassador").decided_at is not None
    summary = db.session.scalar(sa.select(AuditLog.summary).where(AuditLog.action == "signup_ambassador"))
    assert summary == f"Candidature d'ambassadeur acceptée le {date.today().isoformat()}"


def test_viewer_cannot_decide(client, outbox, login):
    _confirmed(client, outbox, requests=["ambassador"])
    login("viewer")
    item = _request("ambassador")
    assert client.post(f"/admin/demandes/{item.id}/refuser").status_code == 403
    assert _request("ambassador").status == "open"


def test_ambassador_decline_resets_the_candidate(client, outbox, login):
    contact = _confirmed(client, outbox, requests=["ambassador"])
    login("editor")
    client.post(f"/admin/demandes/{_request('ambassador').id}/refuser")
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).ambassador_status == AmbassadorStatus.NONE.value
    assert _request("ambassador").status == "declined"


def test_kit_waits_for_the_upload_then_goes_by_a_signed_link_only(app, client, outbox, login, tmp_path):
    app.config["SIGNUP_KIT_DIR"] = str(tmp_path / "kit")
    contact = _confirmed(client, outbox, requests=["kit"])
    assert _request("kit").status == "open"  # no kit uploaded yet
    login("editor")
    bad = client.post("/admin/demandes/kit", data={"file": (io.BytesIO(b"MZ..."), "virus.exe")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "Format refusé" in _page(bad)
    sent_before = len(outbox)
    response = client.post("/admin/demandes/kit", data={"file": (io.BytesIO(b"%PDF-1.4 kit"), "kit TI.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert len(outbox) == sent_before + 1
    mail = outbox[-1]
    assert "kit de communication" in mail.subject.lower()
    download = path_of(link_in(mail, "/kit/"))
    assert "/preferences/" in mail.body and "/desinscription/" in mail.body
    assert dict(mail.extra_headers)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert _request("kit").status == "done"
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).kit_sent_on == date.today()

    client.post("/deconnexion")
    got = client.get(download)
    assert got.status_code == 200 and got.data == b"%PDF-1.4 kit"
    assert "attachment" in got.headers["Content-Disposition"]
    assert client.get(download[:-2] + "xx").status_code == 400
    assert client.get(f"/kit/{make_token('preferences', [contact.id, contact.link_secret])}").status_code == 400
    assert [p.suffix for p in (tmp_path / "kit").iterdir()] == [".pdf"]  # stored under the given folder


def test_kit_link_refused_for_someone_who_was_never_sent_the_kit(app, client, outbox, tmp_path):
    app.config["SIGNUP_KIT_DIR"] = str(tmp_path / "kit")
    contact = _confirmed(client, outbox, requests=["newsletter"])
    assert client.get(f"/kit/{make_token('kit', [contact.id, contact.link_secret])}").status_code == 404


def test_contact_page_shows_the_consent_history_with_wording_versions(client, outbox, login):
    contact = _confirmed(client, outbox)
    client.post(path_of(link_in(outbox[-1], "/desinscription/")))
    login("viewer")
    page = _page(client.get(f"/admin/contacts/{contact.id}"))
    assert "Consentement et abonnements" in page and "Désinscrit" in page
    for step in ("Inscription (formulaire)", "Confirmation de l'adresse", "Désinscription"):
        assert step in page
    assert page.count(CONSENT_VERSION) >= 3
    assert "Échanger sur un projet" in page
