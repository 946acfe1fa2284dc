"""The English switch: French by default, English after ``POST /langue/en``, labels and messages included."""

from __future__ import annotations

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
    assert "Critères (tous doivent être remplis)" in _text(client, "/admin/segments/nouveau")


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
    assert "Criteria (all must match)" in segment_form and "Segment name" in segment_form
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


def test_status_and_kind_labels_follow_the_language(client: FlaskClient, login: Any) -> None:
    from crm.extensions import db
    from crm.events.models import EVENT_KIND_LABELS, EventKind
    from crm.partners import services as partners
    from tests.campaigns.factories import campaign
    from tests.privacy import people

    person = people.make_person("Camille", "Exemple", "camille.exemple@example.org", "")
    partners.set_ambassador_status(person, "active")
    event_id = people.make_event("Comité de test", days=10)
    item = campaign(schedule=False)
    db.session.commit()
    kind = EVENT_KIND_LABELS[next(iter(EventKind))]
    login("admin")

    def pages() -> str:
        return "".join(_text(client, url) for url in (
            "/admin/contacts/", f"/admin/contacts/{person.id}", "/admin/lettres/", f"/admin/lettres/{item.id}",
            f"/admin/evenements/{event_id}", "/admin/utilisateurs/"))

    french = pages()
    assert "Ambassadeur actif" in french and "Brouillon" in french and kind in french
    client.post("/langue/en")
    english = pages()
    assert "Active ambassador" in english and "Draft" in english and "Semi-annual technical committee" in english
    assert "Ambassadeur actif" not in english and ">Brouillon<" not in english
    assert "Administrator" in english  # a role in the users page
    progress = client.get(f"/admin/lettres/{item.id}/progression.json").get_json()
    assert progress["status_label"] == "Draft"
