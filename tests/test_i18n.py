"""The English switch: French by default, English after ``POST /langue/en``, labels and messages included."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "crm" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _text(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_french_is_the_default(client: FlaskClient, login: Any) -> None:
    login("editor")
    page = _text(client, "/admin/structures/nouvelle")
    assert '<html lang="fr">' in page
    assert "Nouvelle structure" in page and "Type de structure" in page and "Code postal" in page
    assert "New organisation" not in page
    assert "Lettres d'information" in _text(client, "/admin/lettres/")
    assert "Critères : chacun doit être rempli" in _text(client, "/admin/segments/nouveau")


def test_back_office_pages_switch_to_english(client: FlaskClient, login: Any) -> None:
    login("editor")
    switched = client.post("/langue/en")
    assert switched.status_code == 302

    contacts = _text(client, "/admin/contacts/")
    assert '<html lang="en">' in contacts
    assert "New contact" in contacts and "Export (CSV)" in contacts
    assert "Sector" in contacts and "Industrialists&#39; Club" in contacts  # filter labels from the form
    assert "Nouveau contact" not in contacts

    organisation_form = _text(client, "/admin/structures/nouvelle")
    for label in ("New organisation", "Organisation type", "Postcode", "Website", "Save", "Cancel"):
        assert label in organisation_form, label
    assert "Type de structure" not in organisation_form

    newsletters = _text(client, "/admin/lettres/")
    assert "Newsletters" in newsletters and "New newsletter" in newsletters and "Public archive" in newsletters
    campaign_form = _text(client, "/admin/lettres/nouvelle")
    assert "Preview text" in campaign_form and "Mailing list" in campaign_form
    assert "— all subscribers to the list —" in campaign_form

    segment_form = _text(client, "/admin/segments/nouveau")
    assert "Criteria: each must match" in segment_form and "Segment name" in segment_form
    assert "Matching contacts:" in segment_form

    events = _text(client, "/admin/evenements/")
    assert "Upcoming" in events and "New event" in events
    event_form = _text(client, "/admin/evenements/nouveau")
    assert "Event type" in event_form and "Start (Paris time)" in event_form


def test_validation_and_flash_messages_follow_the_language(client: FlaskClient, login: Any) -> None:
    login("editor")
    client.post("/langue/en")
    refused = client.post("/admin/structures/nouvelle", data={"name": ""})
    page = refused.get_data(as_text=True)
    assert "The organisation name is required." in page
    assert "Le nom de la structure est obligatoire." not in page

    created = client.post("/admin/structures/nouvelle", data={"name": "Fonderie Exemple"}, follow_redirects=True)
    assert "Organisation created." in created.get_data(as_text=True)

    empty_letter = client.post("/admin/lettres/nouvelle", data={"subject": "", "body_markdown": ""})
    assert "The subject is required." in empty_letter.get_data(as_text=True)

    client.post("/langue/fr")
    refused_fr = client.post("/admin/structures/nouvelle", data={"name": ""}).get_data(as_text=True)
    assert "Le nom de la structure est obligatoire." in refused_fr


def test_translated_messages_are_escaped_like_plain_text(client: FlaskClient, login: Any) -> None:
    login("editor")
    client.post("/langue/en")
    page = _text(client, "/admin/contacts/")
    # « Industrialists' Club » comes from a lazy form label: the apostrophe must be escaped, as for any text.
    assert "Industrialists&#39; Club" in page
    assert "Industrialists' Club</label>" not in page


def test_login_page_and_redirect_message_in_english(client: FlaskClient) -> None:
    client.post("/langue/en")
    redirected = client.get("/admin/contacts/", follow_redirects=True)
    page = redirected.get_data(as_text=True)
    assert "Log in to access this page." in page
    assert "Email address" in page and "Password" in page and "Stay logged in" in page


def test_public_signup_page_in_english(client: FlaskClient) -> None:
    assert "Rejoindre la démarche Territoires d'industrie" in _text(client, "/inscription")
    client.post("/langue/en")
    page = _text(client, "/inscription")
    assert "Join the Territoires d'industrie programme" in page
    assert "Name of your organisation" in page and "Send my request" in page
    refused = client.post("/inscription", data={"organisation_name": ""})
    assert refused.status_code == 400
    assert "Enter the name of your organisation." in refused.get_data(as_text=True)


def test_catalogue_is_complete_and_compiles() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    entries = [message for message in catalogue if message.id]
    assert entries
    assert [m.id for m in entries if not m.string] == []
    assert [m.id for m in entries if m.fuzzy] == []
    # What ``pybabel compile`` checks: %(name)s placeholders must match between msgid and msgstr.
    assert [(message.id, errors) for message, errors in catalogue.check()] == []
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    assert len(compiled.getvalue()) > 1000


def test_public_reply_link_problem_in_english(client: FlaskClient) -> None:
    french = client.get("/evenements/1/reponse/not-a-token")
    assert french.status_code == 404
    assert "Ce lien de réponse n&#39;est pas valide" in french.get_data(as_text=True)
    client.post("/langue/en")
    english = client.get("/evenements/1/reponse/not-a-token")
    assert english.status_code == 404
    page = english.get_data(as_text=True)
    assert "This reply link is not valid." in page and "Unusable reply link" in page


def test_signup_inbox_filters_in_english(client: FlaskClient, login: Any) -> None:
    login("editor")
    assert "À traiter" in _text(client, "/admin/demandes/")
    client.post("/langue/en")
    page = _text(client, "/admin/demandes/")
    assert "To handle" in page and "Address not confirmed" in page and "Requests received through the form" in page


def test_import_page_in_english(client: FlaskClient, login: Any) -> None:
    login("editor")
    client.post("/langue/en")
    page = _text(client, "/admin/donnees/import")
    assert "Import partners" in page and "File (CSV or Excel .xlsx)" in page
    refused = client.post("/admin/donnees/import", data={}, follow_redirects=True)
    assert "Choose a file." in refused.get_data(as_text=True)


def _labelled_records() -> Any:
    """An ambassador invited (no answer yet) to a technical committee, with notes, and a draft newsletter."""
    from types import SimpleNamespace

    import sqlalchemy as sa

    from crm.events.models import Invitation
    from crm.extensions import db
    from crm.partners import services as partners
    from tests.factories import campaign
    from tests.privacy import people

    event_id = people.make_event("Comité de test", days=10)  # kind: comite_technique
    person = people.make_person("Camille", "Exemple", "camille.exemple@example.org", "", events=[event_id])
    partners.set_ambassador_status(person, "active")
    item = campaign(schedule=False)
    db.session.commit()
    invitation_id = db.session.scalar(sa.select(Invitation.id).where(Invitation.contact_id == person.id))
    return SimpleNamespace(contact_id=person.id, event_id=event_id, invitation_id=invitation_id, campaign_id=item.id)


def test_status_and_kind_labels_follow_the_language(client: FlaskClient, login: Any) -> None:
    records = _labelled_records()
    login("admin")
    urls = {"contacts": "/admin/contacts/", "contact": f"/admin/contacts/{records.contact_id}",
            "letters": "/admin/lettres/", "letter": f"/admin/lettres/{records.campaign_id}",
            "event": f"/admin/evenements/{records.event_id}", "users": "/admin/utilisateurs/", "dashboard": "/admin/"}
    # (page, French, English): each label where the page shows the record's own status, kind or role.
    expected = [
        ("contacts", "<td>Ambassadeur actif</td>", "<td>Active ambassador</td>"),
        ("contact", "<p>Ambassadeur actif", "<p>Active ambassador"),
        ("contact", "<strong>Appel</strong>", "<strong>Call</strong>"),  # a note in the timeline
        ("contact", 'class="consent-status">Inscription confirmée', 'class="consent-status">Sign-up confirmed'),
        ("letters", 'status-draft">Brouillon</span>', 'status-draft">Draft</span>'),
        ("letter", 'status-draft" data-status-label>Brouillon</span>', 'status-draft" data-status-label>Draft</span>'),
        ("event", "<dd>Comité technique semestriel</dd>", "<dd>Semi-annual technical committee</dd>"),
        ("event", "<dd>Programmé (", "<dd>Scheduled ("),
        ("event", 'status-invited">Sans réponse</span>', 'status-invited">No answer</span>'),
        ("users", "<td>Administrateur</td>", "<td>Administrator</td>"),
        ("dashboard", "Ambassadeur actif", "Active ambassador"),  # the ambassadors chart
        ("dashboard", "Inscriptions en attente de confirmation de l&#39;adresse",
         "Sign-ups awaiting address confirmation"),
    ]

    french = {name: _text(client, url) for name, url in urls.items()}
    for page, in_french, in_english in expected:
        assert in_french in french[page], (page, in_french)
        assert in_english not in french[page], (page, in_english)

    client.post("/langue/en")
    english = {name: _text(client, url) for name, url in urls.items()}
    for page, in_french, in_english in expected:
        assert in_english in english[page], (page, in_english)
        assert in_french not in english[page], (page, in_french)

    client.post("/langue/fr")
    assert "<td>Ambassadeur actif</td>" in _text(client, "/admin/contacts/")


def test_json_endpoints_give_labels_as_plain_text_in_the_reader_language(client: FlaskClient, login: Any) -> None:
    records = _labelled_records()
    login("editor")
    progress_url = f"/admin/lettres/{records.campaign_id}/progression.json"
    door_url = f"/admin/evenements/{records.event_id}/accueil/{records.invitation_id}"
    assert client.get(progress_url).get_json()["status_label"] == "Brouillon"
    marked = client.post(door_url, data={"came": "1"}, headers={"Accept": "application/json"})
    assert marked.get_json()["label"] == "Présent"

    client.post("/langue/en")
    assert client.get(progress_url).get_json()["status_label"] == "Draft"
    marked = client.post(door_url, data={"came": "0"}, headers={"Accept": "application/json"})
    assert marked.status_code == 200 and marked.get_json()["label"] == "Absent"
    marked = client.post(door_url, data={"came": "1"}, headers={"Accept": "application/json"})
    assert marked.get_json()["label"] == "Present"


def test_exports_mails_and_stored_texts_stay_french_in_english_mode(client: FlaskClient, login: Any,
                                                                     outbox: list[Any]) -> None:
    import sqlalchemy as sa

    from crm.audit.models import AuditLog
    from crm.extensions import db
    from tests.signup.helpers import form_data

    records = _labelled_records()
    client.post("/langue/en")
    signup_page = _text(client, "/inscription")
    assert "Receive the newsletter" in signup_page and "Discuss a project" in signup_page  # the visitor's language
    assert client.post("/inscription", data=form_data(requests=["newsletter", "project"])).status_code == 303
    (message,) = outbox
    assert "Recevoir la lettre d'information" in message.body and "Échanger sur un projet" in message.body
    assert "Receive the newsletter" not in message.body
    summary = db.session.scalar(sa.select(AuditLog.summary).where(AuditLog.action == "signup"))
    assert summary == ("Inscription par le formulaire public : Recevoir la lettre d'information, "
                       "Échanger sur un projet")

    login("admin")
    client.post("/langue/en")
    contacts_csv = client.get("/admin/contacts/export.csv").data.decode("utf-8-sig")
    assert "Ambassadeur actif" in contacts_csv and "Active ambassador" not in contacts_csv
    invitees_csv = client.get(f"/admin/evenements/{records.event_id}/export.csv").data.decode("utf-8-sig")
    assert "Sans réponse" in invitees_csv and "No answer" not in invitees_csv


def test_labels_outside_a_request_are_french(smtp_app: Any, smtp_sink: Any) -> None:
    """The scheduler has an app context and no request: no session, no reader, so the default language."""
    from crm.db import utcnow
    from crm.events import services as events
    from crm.events.models import INVITATION_STATUS_LABELS, InvitationStatus
    from crm.extensions import db
    from crm.mail.pipeline import send_due
    from tests.events.helpers import make_contact

    assert str(INVITATION_STATUS_LABELS[InvitationStatus.WAITLISTED]) == "Liste d'attente"
    starts = utcnow().replace(microsecond=0) + timedelta(days=30)
    event = events.create_event(events.EventInput(kind="atelier", title="Atelier numérique", starts_at=starts,
                                                  ends_at=starts + timedelta(hours=2)))
    db.session.flush()
    events.invite_contacts(event, [make_contact("Anne", "Lefort", "anne.lefort@example.org").id])
    db.session.commit()
    assert send_due().sent == 1
    (message,) = smtp_sink.messages()
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Vous êtes invité(e) à l'événement suivant (atelier)." in body


def test_gettext_outside_a_request_reads_in_french(app: Any) -> None:
    from flask_babel import gettext, refresh

    refresh()
    assert gettext("Brouillon") == "Brouillon"  # scheduler jobs and the CLI have no session to read a choice from
