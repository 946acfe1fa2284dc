"""Bad input gets a clear answer, never a 500: ids beyond what a database column holds, absurd page numbers,
over-long tokens, NUL bytes; and a database built by the migrations alone is usable (reference data included)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, got_request_exception
from flask.testing import FlaskClient
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from crm.extensions import db

HUGE = 10**20
LONG_TOKEN = "a" * 2000
HUGE_PAGE = 9223372036854775807
NUL = "a\x00b"
NUL_MESSAGE = "caractère nul"

# Field names the application's forms use, each holding a NUL byte in the walk's POST bodies (a form ignores the
# names it does not know; the guard must refuse the request before any of them reaches a service).
TEXT_FIELDS = [
    "q", "name", "email", "password", "password_confirm", "display_name", "subject", "preheader", "body_markdown",
    "organisation_name", "first_name", "last_name", "phone", "job_title", "commune", "postal_code", "siret",
    "address", "website", "message", "title", "description", "location", "text", "body", "keep", "drop",
    "expected", "addresses", "emails", "reason", "decision", "came", "answer", "comment", "topics", "requests",
    "consent", "sector", "kind", "civility", "role", "segment_id", "topic", "test_address", "scheduled_at",
]


# --- Walking the URL map ------------------------------------------------------------------------


def _argument_values(rule: Rule, number: int, ids: dict[str, int] | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = (ids or {}).get(name, number)
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = LONG_TOKEN
    return values


def _url(rule: Rule, values: dict[str, Any]) -> str:
    """The path of ``rule`` with these values, written by hand: -1 is no value the URL map would build."""
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), path)
    return path


def _rules(app: Flask) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"), key=lambda r: r.rule)


def _requests(app: Flask, ids: dict[str, int]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, url, extra arguments of the test client) for every rule of the URL map."""
    nul_body = {name: NUL for name in TEXT_FIELDS}
    seen: set[tuple[str, str]] = set()
    for rule in _rules(app):
        methods = rule.methods or set()
        for number in (HUGE, -1):
            url = _url(rule, _argument_values(rule, number))
            for method in ("GET", "POST"):
                if method in methods and (method, url) not in seen:
                    seen.add((method, url))
                    yield method, url, {"data": {"keep": str(HUGE), "drop": str(10**23)}} if method == "POST" else {}
        real = _url(rule, _argument_values(rule, 1, ids))
        if "GET" in methods:
            yield "GET", f"{real}?page={HUGE_PAGE}", {}
            yield "GET", f"{real}?q=a%00b&page=2", {}
        if "POST" in methods:
            yield "POST", real, {"data": nul_body}


def _make_records() -> dict[str, int]:
    """One of each record a URL names, so that the walk's real-id requests reach the pages behind the ids."""
    from crm.events.models import Invitation
    from tests.factories import campaign
    from tests.privacy import people

    event_id = people.make_event("Comité de test", days=10)
    person = people.make_person("Camille", "Exemple", "camille.exemple@example.org", "", events=[event_id])
    letter = campaign(schedule=False)
    db.session.commit()
    invitation_id = db.session.scalar(sa.select(Invitation.id).where(Invitation.contact_id == person.id))
    return {"event_id": event_id, "contact_id": person.id, "subject_id": person.id, "campaign_id": letter.id,
            "invitation_id": invitation_id or 1, "organisation_id": person.organisation_id or 1,
            "first_id": person.id, "second_id": person.id}


def _walk(app: Flask, client: FlaskClient, ids: dict[str, int], log_in: Callable[[], None] | None) -> list[str]:
    failures: list[str] = []
    errors: list[BaseException] = []

    def remember(sender: Any, exception: BaseException, **extra: Any) -> None:
        errors.append(exception)

    got_request_exception.connect(remember, app)
    try:
        for method, url, extra in _requests(app, ids):
            errors.clear()
            response = client.open(url, method=method, **extra)
            if response.status_code >= 500 or errors:
                failures.append(f"{method} {url[:120]} -> {response.status_code} {errors[:1]!r}")
            elif "\x00" in url.replace("%00", "\x00") or extra.get("data", {}).get("q") == NUL:
                if response.status_code != 400 or NUL_MESSAGE not in response.get_data(as_text=True):
                    failures.append(f"{method} {url[:120]} with a NUL byte -> {response.status_code}, not refused")
            if log_in is not None and method == "POST" and client.get("/mon-compte").status_code != 200:
                log_in()  # the walk went through a logout, or a form that ends the sessions
    finally:
        got_request_exception.disconnect(remember, app)
    return failures


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_no_route_answers_500_to_bad_input(make_app: Callable[..., Flask], role: str) -> None:
    """Every rule of the URL map, GET and POST: int segments at 10**20 and -1, string segments a 2000-character
    token, ``?page=`` at the largest 64-bit integer, a NUL byte in the query and in every text field posted."""
    from crm.auth.services import create_user
    from tests.fixtures import PASSWORD

    app = make_app(PROPAGATE_EXCEPTIONS=False, RATELIMIT_ENABLED=False)
    with app.app_context():
        ids = _make_records()
        client = app.test_client()
        log_in: Callable[[], None] | None = None
        if role != "anonymous":
            user = create_user(f"{role}@example.org", PASSWORD, role)
            db.session.commit()

            def log_in() -> None:
                assert client.post("/connexion", data={"email": user.email, "password": PASSWORD}).status_code == 302

            log_in()
        assert _walk(app, client, ids, log_in) == []
        if log_in is not None:  # the walk went through the back office, not around it
            assert client.get(f"/admin/contacts/?page={HUGE_PAGE}").status_code == 200


# --- Each rule, both sides ------------------------------------------------------------------------


@pytest.mark.parametrize("number", [HUGE, 2**31, 2**63, 2**31 - 1])
def test_an_id_no_row_can_have_is_a_404(client: FlaskClient, login: Any, number: int) -> None:
    login("viewer")
    for url in (f"/lettres/{number}", f"/admin/contacts/{number}", f"/admin/evenements/{number}",
                f"/admin/donnees/doublons/contacts/{number}/{number}"):
        assert client.get(url).status_code == 404, url


def test_an_id_a_row_has_still_opens_its_page(client: FlaskClient, login: Any) -> None:
    from crm.campaigns.models import Campaign
    from tests.factories import campaign
    from tests.privacy import people

    person = people.make_person("Camille", "Exemple", "camille.exemple@example.org", "")
    letter = campaign(schedule=False)
    db.session.commit()
    login("viewer")
    assert client.get(f"/admin/contacts/{person.id}").status_code == 200
    assert client.get(f"/admin/lettres/{letter.id}").status_code == 200
    assert db.session.get(Campaign, letter.id) is not None


def test_a_page_number_beyond_any_table_shows_an_empty_page(client: FlaskClient, login: Any) -> None:
    from tests.privacy import people

    people.make_person("Camille", "Exemple", "camille.exemple@example.org", "")
    db.session.commit()
    login("viewer")
    for url in ("/admin/contacts/", "/admin/structures/", "/admin/demandes/", "/admin/boite-d-envoi/"):
        far = client.get(f"{url}?page={HUGE_PAGE}")
        assert far.status_code == 200, url
    assert "camille.exemple@example.org" not in client.get(f"/admin/contacts/?page={HUGE_PAGE}").get_data(
        as_text=True)
    assert "camille.exemple@example.org" in client.get("/admin/contacts/?page=1").get_data(as_text=True)


def test_page_numbers_stay_within_what_a_query_can_ask(app: Flask) -> None:
    from crm.db import MAX_INTEGER
    from crm.pagination import page_number

    assert page_number(HUGE_PAGE, 50) * 50 <= MAX_INTEGER + 50
    assert [page_number(n, 50) for n in (-5, 0, 1, 2, 40)] == [1, 1, 1, 2, 40]


def test_an_over_long_token_is_refused_in_every_token_route(client: FlaskClient, login: Any) -> None:
    for url in (f"/inscription/confirmer/{LONG_TOKEN}", f"/preferences/{LONG_TOKEN}", f"/desinscription/{LONG_TOKEN}",
                f"/kit/{LONG_TOKEN}", f"/evenements/1/reponse/{LONG_TOKEN}", f"/mot-de-passe/nouveau/{LONG_TOKEN}"):
        assert 400 <= client.get(url).status_code < 500, url
        assert 400 <= client.post(url).status_code < 500, url
    login("editor")
    for token in (LONG_TOKEN, "a" * 300, "a" * 65):  # a file name too long for the disk, or just too long
        assert client.get(f"/admin/donnees/import/{token}").status_code == 404  # the route takes 64 at most


def test_an_import_token_of_the_expected_shape_still_opens_its_upload(client: FlaskClient, login: Any) -> None:
    login("editor")
    uploaded = client.post("/admin/donnees/import", data={"file": (io.BytesIO(
        "Nom;Prénom;E-mail\nExemple;Camille;camille@example.org\n".encode()), "contacts.csv")},
        content_type="multipart/form-data")
    assert uploaded.status_code == 302
    assert client.get(uploaded.headers["Location"]).status_code == 200


@pytest.mark.parametrize("raw", [
    "Nom;Prénom;E-mail\nExem\x00ple;Camille;camille@example.org\n".encode(),
    "Nom;Prénom;E-mail\nExemple;Camille;camille@example.org\n".encode("utf-16"),  # Excel's « Texte Unicode »
])
def test_an_imported_file_holding_nul_bytes_is_refused_in_french(client: FlaskClient, login: Any, raw: bytes) -> None:
    from crm.partners.models import Contact

    login("editor")
    refused = client.post("/admin/donnees/import", data={"file": (io.BytesIO(raw), "contacts.csv")},
                          content_type="multipart/form-data")
    assert refused.status_code == 200  # the upload form again, with the file's problem beside the field
    assert "contient des caractères nuls" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_a_merge_naming_an_id_beyond_range_is_refused(client: FlaskClient, login: Any) -> None:
    from tests.privacy import people

    first = people.make_person("Camille", "Exemple", "camille.exemple@example.org", "")
    second = people.make_person("Camile", "Exemple", "c.exemple@example.org", "")
    db.session.commit()
    login("editor")
    url = "/admin/donnees/doublons/contacts/fusionner"
    for keep, drop in ((first.id, 10**23), (10**20, second.id), (first.id, -1), (first.id, "")):
        assert client.post(url, data={"keep": keep, "drop": drop}).status_code == 400, (keep, drop)
    assert client.post(url, data={"keep": first.id, "drop": 2**31 - 1}).status_code == 404
    merged = client.post(url, data={"keep": first.id, "drop": second.id})
    assert merged.status_code == 302 and merged.headers["Location"].endswith(f"/admin/contacts/{first.id}")


# --- Reference data ships with the migrations -----------------------------------------------------

MIGRATED_SCHEMA = "reference_data_check"


@pytest.fixture
def migrated_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database (a schema of its own on PostgreSQL) for ``flask db upgrade`` alone to build."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {MIGRATED_SCHEMA} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {MIGRATED_SCHEMA}"))
    separator = "&" if "?" in database_url else "?"
    yield f"{database_url}{separator}options=-csearch_path%3D{MIGRATED_SCHEMA}"
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {MIGRATED_SCHEMA} CASCADE"))
    engine.dispose()


def _migrated_app(url: str, tmp_path: Path) -> Flask:
    from crm import create_app
    from tests.fixtures import RequestIsolatingClient

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "test", "MAIL_SERVER": None,
                      "MAILDIR_PATH": str(tmp_path / "outbox"), "BASE_URL": "http://localhost",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    app.test_client_class = RequestIsolatingClient
    return app


def _reference_codes() -> dict[str, set[str]]:
    from crm.consent.models import Topic
    from crm.partners.models import Axis, OrganisationKind, Sector

    return {model.__tablename__: set(db.session.scalars(sa.select(model.code)))
            for model in (Topic, OrganisationKind, Sector, Axis)}


def _signup_and_confirm(client: FlaskClient) -> str:
    """A signup through the public form, then its confirmation link posted: the confirmation page's text."""
    from crm.extensions import mail
    from tests.signup.helpers import form_data, link_in, path_of

    with mail.record_messages() as sent:
        assert client.post("/inscription", data=form_data(requests=["newsletter", "join"])).status_code == 303
        confirmed = client.post(path_of(link_in(sent[-1], "/inscription/confirmer/")))
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)[-2000:]
    return confirmed.get_data(as_text=True)


def test_a_database_built_by_the_migrations_alone_takes_a_signup_and_its_confirmation(
        migrated_url: str, tmp_path: Path) -> None:
    from flask_migrate import upgrade

    from crm.consent import services as consent
    from crm.consent.services import TOPICS, load_topics
    from crm.partners.models import Contact
    from crm.partners.taxonomy import AXES, ORGANISATION_KINDS, SECTORS, load_reference_taxonomy

    app = _migrated_app(migrated_url, tmp_path)
    with app.app_context():
        try:
            upgrade()
            # Every code the application knows today is there: new reference data comes with its migration.
            assert _reference_codes() == {
                "topics": {code for code, _, _ in TOPICS},
                "organisation_kinds": {code for code, _ in ORGANISATION_KINDS},
                "sectors": {code for code, _ in SECTORS},
                "axes": {code for code, _ in AXES},
            }
            _signup_and_confirm(app.test_client())
            contact = db.session.scalar(sa.select(Contact).where(Contact.email == "anne.martin@example.org"))
            assert contact is not None and consent.topic_codes(contact) == {"lettre", "evenements"}
            # `flask taxonomy load` still works, and has nothing left to add.
            assert load_reference_taxonomy() + load_topics() == 0
            result = app.test_cli_runner().invoke(args=["taxonomy", "load"])
            assert result.exit_code == 0 and "(0 entrée(s) ajoutée(s))" in result.output
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_reference_data_migration_keeps_what_taxonomy_load_put_there(migrated_url: str, tmp_path: Path) -> None:
    """A database where `flask taxonomy load` ran before this migration: no twin, and the team's labels stay."""
    from flask_migrate import upgrade

    from crm.consent.services import TOPICS
    from crm.partners.models import Sector

    app = _migrated_app(migrated_url, tmp_path)
    with app.app_context():
        try:
            upgrade(revision="e4b7d2a9c613")  # the head before the reference data migration
            db.session.add(Sector(code="plasturgie", label="Plasturgie (renommée par l'équipe)", position=0))
            db.session.commit()
            upgrade()
            labels = {code: label for code, label in db.session.execute(sa.select(Sector.code, Sector.label))}
            assert labels["plasturgie"] == "Plasturgie (renommée par l'équipe)" and len(labels) == 4
            assert len(_reference_codes()["topics"]) == len(TOPICS)
        finally:
            db.session.remove()
            db.engine.dispose()


def test_a_confirmation_without_any_topic_in_the_database_still_confirms(client: FlaskClient) -> None:
    """Reference data gone (deleted by hand, never loaded): the confirmation subscribes to nothing it cannot
    find, and still confirms; no INSERT without values, no missing code raising."""
    from crm.consent import services as consent
    from crm.consent.models import OptInStatus, Subscription, Topic
    from crm.partners.models import Contact

    db.session.execute(sa.delete(Topic))
    db.session.commit()
    page = _signup_and_confirm(client)
    assert "confirm" in page.lower()
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == "anne.martin@example.org"))
    assert db.session.get(Subscription, contact.id).status == OptInStatus.CONFIRMED.value
    assert consent.topic_codes(contact) == set()
    consent.set_topics(contact, {"lettre", "code-inconnu"})  # a code with no row: nothing to link, no error
    assert consent.topic_codes(contact) == set()


def test_topics_are_set_from_their_codes_and_unknown_codes_are_ignored(app: Flask) -> None:
    """The other side of the rule: known codes are linked, unknown ones dropped, an empty set unlinks all."""
    from crm.consent import services as consent
    from tests.privacy import people

    person = people.make_person("Louis", "Exemple", "louis.exemple@example.org", "")
    consent.set_topics(person, {"lettre", "club", "code-inconnu"})
    assert consent.topic_codes(person) == {"lettre", "club"}
    consent.set_topics(person, set())
    assert consent.topic_codes(person) == set()
