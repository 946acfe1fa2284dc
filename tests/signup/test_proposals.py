"""Public input proposes; only the team writes the record. A signup with a known partner's address changes neither
the contact nor its organisation: what differs waits on the signup until an editor applies it, or not."""

from __future__ import annotations

import html
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.consent.models import OptInStatus, Subscription
from crm.extensions import db
from crm.partners.models import Contact, Organisation
from crm.partners.services import (
    ContactInput,
    OrganisationInput,
    contact_input_of,
    organisation_input_of,
    save_contact,
    save_organisation,
)
from crm.signup.jobs import purge_unconfirmed_signups
from crm.signup.models import Signup, SignupChange
from tests.signup.helpers import form_data, link_in, path_of

VALID_SIRET = "73282932000074"  # Luhn-valid, fictional use
EMAIL = "anne.martin@example.org"
# Someone who knows Anne's address rewrites everything the form holds.
REWRITE = {"first_name": "Annie", "last_name": "Dupont", "phone": "06 99 88 77 66", "job_title": "Stagiaire",
           "organisation_name": "Société Inconnue", "postal_code": "72000", "commune": "Le Mans", "siret": "",
           "sector": "numerique", "sectors": ["numerique"], "axes": ["foncier"]}
RECORD_TABLES = ["contacts", "organisations", "contact_sectors", "contact_axes", "organisation_sectors",
                 "contact_words", "organisation_words", "club_memberships"]


def _page(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _known_partner() -> Contact:
    """Anne, entered by the team, at her organisation; another organisation exists beside it."""
    home = save_organisation(OrganisationInput(name="Plasturgie du Perche", siret=VALID_SIRET, sectors=["plasturgie"],
                                               postal_code="61000", commune="Alençon"))
    save_organisation(OrganisationInput(name="Fonderie de l'Orne", postal_code="61100", commune="Flers"))
    contact = save_contact(ContactInput(email=EMAIL, first_name="Anne", last_name="Martin", phone="02 33 11 22 33",
                                        job_title="Dirigeante", organisation_id=home.id, sectors=["plasturgie"],
                                        axes=["innovation"]))
    db.session.commit()
    return contact


def _records() -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables that make up what the team holds on partners, as they are in the database."""
    db.session.expire_all()
    found = {}
    for name in RECORD_TABLES:
        table = db.metadata.tables[name]
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings()
        found[name] = [dict(row) for row in rows]
    return found


def _audited_updates() -> list[tuple[str, str, dict[str, Any]]]:
    rows = db.session.execute(sa.select(AuditLog.action, AuditLog.entity_type, AuditLog.changes).where(
        AuditLog.action.in_(["update", "create"])).order_by(AuditLog.id))
    return [tuple(row) for row in rows]


def _confirm(client: Any, outbox: list[Any]) -> None:
    assert client.post(path_of(link_in(outbox[-1], "/inscription/confirmer/"))).status_code == 200


def _signup() -> Signup:
    db.session.expire_all()
    return db.session.scalars(sa.select(Signup).order_by(Signup.id.desc())).first()


def _changes() -> dict[str, tuple[Any, str]]:
    db.session.expire_all()
    return {c.field: (c.proposed, c.status) for c in db.session.scalars(sa.select(SignupChange))}


def _decide(client: Any, signup_id: int, decision: str = "accept", fields: list[str] | None = None) -> Any:
    return client.post(f"/admin/demandes/inscriptions/{signup_id}/modifications",
                       data={"decision": decision, "fields": fields or []}, follow_redirects=True)


# --- The form writes nothing on a known record ---------------------------------------------------------


def test_a_known_partners_address_changes_neither_the_contact_nor_its_organisation(client, outbox):
    contact = _known_partner()
    before, audited = _records(), _audited_updates()

    response = client.post("/inscription", data=form_data(**REWRITE))
    assert response.status_code == 303 and response.headers["Location"].endswith("/inscription/merci")
    assert _records() == before  # no new organisation either
    _confirm(client, outbox)
    assert _records() == before
    assert _audited_updates() == audited
    signup = _signup()
    assert (signup.contact_id, signup.organisation_id, signup.created_contact) == (
        contact.id, contact.organisation_id, False)
    assert set(_changes()) == {"first_name", "last_name", "phone", "job_title", "sectors", "axes", "organisation"}
    assert _changes()["organisation"] == ({"name": "Société Inconnue", "postal_code": "72000", "siret": None,
                                           "commune": "Le Mans", "sector": "numerique"}, "open")
    # Consent keeps its course: the confirmation subscribes the person.
    assert db.session.get(Subscription, contact.id).status == OptInStatus.CONFIRMED.value


def test_a_known_organisation_named_by_a_new_address_is_not_changed(client, outbox):
    _known_partner()
    before = _records()
    client.post("/inscription", data=form_data(
        email="nouvelle@example.org", first_name="Zoé", last_name="Nouvelle", organisation_name="Autre Nom SAS",
        siret=VALID_SIRET, postal_code="61000", commune="Damigny", sector="numerique"))
    _confirm(client, outbox)
    after = _records()
    assert after["organisations"] == before["organisations"]
    assert after["organisation_sectors"] == before["organisation_sectors"]
    assert after["organisation_words"] == before["organisation_words"]
    # The new person is created, at the organisation the SIRET names (as before this change).
    new = db.session.scalar(sa.select(Contact).where(Contact.email == "nouvelle@example.org"))
    assert new.organisation.name == "Plasturgie du Perche"
    assert _changes() == {"organisation_name": ("Autre Nom SAS", "open"),
                          "organisation_commune": ("Damigny", "open"),
                          "organisation_sectors": (["numerique"], "open")}


def test_a_new_address_still_creates_a_pending_contact_and_proposes_nothing(client, outbox):
    response = client.post("/inscription", data=form_data(email="Lea.Durand@Example.org", first_name="Léa",
                                                           last_name="Durand", phone="02 43 00 00 00",
                                                           organisation_name="Composites de la Sarthe",
                                                           postal_code="72610", commune="Arçonnay"))
    assert response.status_code == 303
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == "lea.durand@example.org"))
    assert (contact.first_name, contact.last_name, contact.phone, contact.job_title) == (
        "Léa", "Durand", "02 43 00 00 00", "Dirigeante")
    assert contact.organisation.name == "Composites de la Sarthe" and contact.organisation.postal_code == "72610"
    assert db.session.get(Subscription, contact.id).status == OptInStatus.PENDING.value
    signup = _signup()
    assert signup.created_contact and signup.created_organisation
    assert _changes() == {}


def test_the_purge_of_an_unconfirmed_signup_leaves_the_known_record_as_it_was(app, client, outbox):
    _known_partner()
    before = _records()
    client.post("/inscription", data=form_data(**REWRITE))
    for signup in db.session.scalars(sa.select(Signup)):
        signup.created_at -= timedelta(days=8)
    db.session.commit()
    assert purge_unconfirmed_signups(app) == 1
    assert _records() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignupChange)) == 0


def test_the_purge_keeps_an_organisation_another_signup_proposes(app, client, outbox):
    _known_partner()
    client.post("/inscription", data=form_data(email="inconnue@example.org", organisation_name="Atelier Neuf",
                                               postal_code="61000", requests=["newsletter"]))
    client.post("/inscription", data=form_data(organisation_name="Atelier Neuf", postal_code="61000",
                                               requests=["newsletter"]))  # Anne names the organisation just made
    _confirm(client, outbox)
    for signup in db.session.scalars(sa.select(Signup)):
        if signup.confirmed_at is None:
            signup.created_at -= timedelta(days=8)
    db.session.commit()
    assert purge_unconfirmed_signups(app) == 1
    (change,) = db.session.scalars(sa.select(SignupChange).where(SignupChange.field == "organisation"))
    assert change.organisation is not None and change.organisation.name == "Atelier Neuf"


# --- The inbox ----------------------------------------------------------------------------------


class _Checkboxes(HTMLParser):
    """The proposal checkboxes of a page, the labels pointing at them and the column headers."""

    def __init__(self) -> None:
        super().__init__()
        self.boxes: dict[str, str] = {}
        self.labelled: set[str] = set()
        self.headers: list[str] = []
        self._in_header = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name") == "fields":
            self.boxes[attributes["id"] or ""] = attributes["value"] or ""
        elif tag == "label" and attributes.get("for"):
            self.labelled.add(attributes["for"] or "")
        self._in_header = tag == "th" and attributes.get("scope") == "col"

    def handle_data(self, data: str) -> None:
        if self._in_header and data.strip():
            self.headers.append(data.strip())
            self._in_header = False


def test_the_inbox_shows_proposals_beside_the_current_values_only_after_confirmation(client, outbox, login):
    _known_partner()
    client.post("/inscription", data=form_data(**REWRITE))
    login("editor")
    waiting = _page(client.get("/admin/demandes/?filtre=all"))
    assert "7 modification(s) proposée(s) pour la fiche : elles pourront être examinées" in waiting
    assert "Annie" not in waiting and "06 99 88 77 66" not in waiting and 'name="fields"' not in waiting

    _confirm(client, outbox)
    page = _page(client.get("/admin/demandes/"))  # the "to handle" list: a proposal waits for the team
    assert "Modifications proposées pour la fiche de Anne Martin" in page
    for current, proposed in [("Anne", "Annie"), ("Martin", "Dupont"), ("02 33 11 22 33", "06 99 88 77 66"),
                              ("Dirigeante", "Stagiaire"), ("Plasturgie et composites", "Plasturgie et composites, "
                                                                                       "Numérique"),
                              ("Écosystèmes d'innovation", "Écosystèmes d'innovation, Foncier industriel"),
                              ("Plasturgie du Perche", "Société Inconnue")]:
        assert f'<td class="current">{current}</td>' in page, current
        assert f'<td class="proposed">{proposed}' in page, proposed
    assert "nouvelle structure, créée si la modification est appliquée : 72000 Le Mans" in page
    parsed = _Checkboxes()
    parsed.feed(page)
    assert sorted(parsed.boxes.values()) == sorted(
        ["first_name", "last_name", "phone", "job_title", "sectors", "axes", "organisation"])
    assert set(parsed.boxes) <= parsed.labelled  # every checkbox has its label
    assert ["Appliquer", "Champ", "Valeur actuelle", "Valeur proposée", "Décision"] == [
        h for h in parsed.headers if h in {"Appliquer", "Champ", "Valeur actuelle", "Valeur proposée", "Décision"}]


def test_accepting_two_of_three_fields_applies_exactly_those_two_with_old_and_new_in_the_audit(
        client, outbox, login):
    contact = _known_partner()
    client.post("/inscription", data=form_data(first_name="Annie", last_name="Martin", phone="06 99 88 77 66",
                                               job_title="Stagiaire", organisation_name="Plasturgie du Perche",
                                               siret=VALID_SIRET, commune="Alençon", sector="plasturgie",
                                               sectors=["plasturgie"], axes=["innovation"], requests=["newsletter"]))
    _confirm(client, outbox)
    assert set(_changes()) == {"first_name", "phone", "job_title"}
    editor = login("editor")
    signup_id = _signup().id
    before = len(_audited_updates())

    response = _decide(client, signup_id, "accept", ["first_name", "phone"])
    assert "Modifications appliquées : Prénom, Téléphone." in _page(response)
    db.session.expire_all()
    kept = db.session.get(Contact, contact.id)
    assert (kept.first_name, kept.last_name, kept.phone, kept.job_title) == (
        "Annie", "Martin", "06 99 88 77 66", "Dirigeante")
    (update,) = _audited_updates()[before:]
    assert update == ("update", "contact", {"first_name": ["Anne", "Annie"],
                                            "phone": ["02 33 11 22 33", "06 99 88 77 66"]})
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "update").order_by(AuditLog.id.desc()))
    assert entry.user_id == editor.id and entry.entity_id == contact.id
    assert _changes() == {"first_name": ("Annie", "accepted"), "phone": ("06 99 88 77 66", "accepted"),
                          "job_title": ("Stagiaire", "dismissed")}
    decided = db.session.scalars(sa.select(SignupChange)).all()
    assert all(c.decided_by_id == editor.id and c.decided_at is not None for c in decided)
    summary = db.session.scalar(sa.select(AuditLog.summary).where(AuditLog.action == "signup_changes"))
    assert summary == (f"Modifications proposées à l'inscription n° {signup_id} : appliquées : prénom, téléphone ; "
                       "écartées : fonction")
    timeline = _page(client.get(f"/admin/contacts/{contact.id}"))
    assert "Anne → Annie" in timeline and "02 33 11 22 33 → 06 99 88 77 66" in timeline
    assert "Aucune demande." in _page(client.get("/admin/demandes/"))  # nothing left to handle


def test_dismissing_changes_nothing(client, outbox, login):
    _known_partner()
    client.post("/inscription", data=form_data(**REWRITE))
    _confirm(client, outbox)
    login("editor")
    before, audited = _records(), _audited_updates()
    response = _decide(client, _signup().id, "dismiss", ["first_name"])  # a tick does not matter to "dismiss"
    assert "Modifications proposées écartées : la fiche n'a pas changé." in _page(response)
    assert _records() == before and _audited_updates() == audited
    assert {status for _, status in _changes().values()} == {"dismissed"}
    assert db.session.scalar(sa.select(AuditLog.summary).where(AuditLog.action == "signup_changes")).endswith(
        "toutes écartées")


def test_moving_to_a_new_organisation_happens_only_when_an_editor_accepts_it(client, outbox, login):
    contact = _known_partner()
    home_id = contact.organisation_id
    organisations = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
    client.post("/inscription", data=form_data(**REWRITE))
    _confirm(client, outbox)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == organisations
    login("editor")
    _decide(client, _signup().id, "accept", ["organisation", "axes"])
    db.session.expire_all()
    moved = db.session.get(Contact, contact.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == organisations + 1
    assert (moved.organisation.name, moved.organisation.postal_code, moved.organisation.commune) == (
        "Société Inconnue", "72000", "Le Mans")
    assert [s.code for s in moved.organisation.sectors] == ["numerique"]
    assert {a.code for a in moved.axes} == {"innovation", "foncier"}
    assert (moved.first_name, moved.phone) == ("Anne", "02 33 11 22 33")
    updates = [changes for action, kind, changes in _audited_updates() if action == "update" and kind == "contact"]
    # The audit keeps codes and ids (crm.audit.display shows them with labels).
    assert updates[-1] == {"organisation": [home_id, moved.organisation_id],
                           "axes": [["innovation"], ["innovation", "foncier"]]}


def test_moving_to_a_known_organisation_and_changing_its_own_fields_on_acceptance(client, outbox, login):
    contact = _known_partner()
    home_id = contact.organisation_id
    client.post("/inscription", data=form_data(organisation_name="FONDERIE de l'orne", postal_code="61100",
                                               commune="Flers", sector="agroalimentaire"))
    _confirm(client, outbox)
    assert set(_changes()) == {"organisation", "organisation_sectors"}  # same name key, same commune
    login("editor")
    _decide(client, _signup().id, "accept", ["organisation", "organisation_sectors"])
    db.session.expire_all()
    moved = db.session.get(Contact, contact.id)
    assert moved.organisation.name == "Fonderie de l'Orne"
    assert [s.code for s in moved.organisation.sectors] == ["agroalimentaire"]
    audited = [(kind, changes) for action, kind, changes in _audited_updates() if action == "update"]
    assert ("organisation", {"sectors": [[], ["agroalimentaire"]]}) in audited
    assert ("contact", {"organisation": [home_id, moved.organisation_id]}) in audited


# --- Who may decide, and bad input ----------------------------------------------------------------


def test_a_viewer_sees_the_proposals_but_cannot_accept_them(client, outbox, login):
    _known_partner()
    client.post("/inscription", data=form_data(**REWRITE))
    _confirm(client, outbox)
    login("viewer")
    page = _page(client.get("/admin/demandes/"))
    assert '<td class="proposed">Annie' in page and 'name="fields"' not in page and 'name="decision"' not in page
    before = _records()
    response = client.post(f"/admin/demandes/inscriptions/{_signup().id}/modifications",
                           data={"decision": "accept", "fields": ["first_name"]})
    assert response.status_code == 403
    assert _records() == before
    assert {status for _, status in _changes().values()} == {"open"}


BAD_DECISIONS = [
    ("accept", ["password"], "Modification inconnue : « password ». Rechargez la page et recommencez."),
    ("accept", ["first_name", "email"], "Modification inconnue : « email »."),
    ("accept", ["last_name"], "« Nom » ne fait pas partie des modifications proposées par cette inscription."),
    ("accept", [], "Cochez au moins une modification à appliquer, ou écartez-les toutes."),
    ("delete", ["first_name"], "Choisissez d'appliquer les modifications cochées ou de les écarter."),
]


@pytest.mark.parametrize(("decision", "fields", "message"), BAD_DECISIONS)
def test_bad_input_on_the_accept_form_gets_a_french_message_and_writes_nothing(
        client, outbox, login, decision, fields, message):
    _known_partner()
    client.post("/inscription", data=form_data(first_name="Annie", phone="06 99 88 77 66", job_title="Stagiaire",
                                               organisation_name="Plasturgie du Perche", siret=VALID_SIRET,
                                               sectors=["plasturgie"], axes=["innovation"]))
    _confirm(client, outbox)
    login("editor")
    before, audits = _records(), db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    page = _page(_decide(client, _signup().id, decision, fields))
    assert message in page
    assert "rien n'a été enregistré" in page
    assert _records() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == audits
    assert {status for _, status in _changes().values()} == {"open"}


def test_a_proposal_already_decided_cannot_be_decided_again(client, outbox, login):
    contact = _known_partner()
    client.post("/inscription", data=form_data(first_name="Annie", phone="06 99 88 77 66",
                                               organisation_name="Plasturgie du Perche", siret=VALID_SIRET,
                                               sectors=["plasturgie"], axes=["innovation"]))
    _confirm(client, outbox)
    login("editor")
    signup_id = _signup().id
    _decide(client, signup_id, "dismiss")
    before, audits = _records(), db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    for decision in ("accept", "dismiss"):
        page = _page(_decide(client, signup_id, decision, ["first_name"]))
        assert "La modification « Prénom » a déjà été traitée." in page or \
            "Les modifications proposées par cette inscription ont déjà été traitées." in page
        assert "rien n'a été enregistré" in page
    assert _records() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == audits
    assert db.session.get(Contact, contact.id).first_name == "Anne"


def test_an_unconfirmed_signups_proposals_cannot_be_applied(client, outbox, login):
    _known_partner()
    client.post("/inscription", data=form_data(**REWRITE))
    login("editor")
    before = _records()
    page = _page(_decide(client, _signup().id, "accept", ["first_name", "phone"]))
    assert "L'adresse de cette inscription n'est pas confirmée" in page
    assert _records() == before
    assert {status for _, status in _changes().values()} == {"open"}


# --- Around the proposals ---------------------------------------------------------------------------


def test_erasure_leaves_nothing_of_the_proposed_values(client, outbox, login):
    from crm.privacy.erasure import erase_contact
    from tests.privacy.people import text_occurrences

    contact = _known_partner()
    client.post("/inscription", data=form_data(
        first_name="Philomène", phone="06 12 34 56 78", job_title="Responsable Qualité Unique",
        organisation_name="Plasturgie du Perche", siret=VALID_SIRET, sectors=["plasturgie"], axes=["innovation"],
        requests=["newsletter"]))
    _confirm(client, outbox)
    assert text_occurrences(["Philomène", "06 12 34 56 78", "Responsable Qualité Unique"])
    erase_contact(db.session.get(Contact, contact.id))
    db.session.commit()
    assert text_occurrences(["Philomène", "06 12 34 56 78", "Responsable Qualité Unique"]) == []
    login("editor")
    page = _page(_decide(client, _signup().id, "accept", ["first_name"]))
    assert "Ce contact a été effacé" in page
    assert "Aucune demande." in _page(client.get("/admin/demandes/"))


def test_saving_a_record_as_it_is_writes_no_audit_entry(app):
    contact = _known_partner()
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    save_organisation(organisation_input_of(contact.organisation), contact.organisation)
    save_contact(contact_input_of(contact), contact)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == entries
