"""RGAA 4.1 / WCAG 2.1 AA: one page of every route of the application passes axe-core's A and AA rules with zero
violations. Back-office pages show real records made here (seen by an admin, who sees every button); public pages
carry real tokens made for a real person (seen logged out).

Every GET route is either visited (``BACK_OFFICE`` or ``PUBLIC``: endpoint -> the URL values of a sample record) or
classified as not a page (``NOT_PAGES``: files, JSON, redirects); POST-only routes are not pages. A route added
later that is in none of them fails ``test_every_get_route_is_visited_or_classified``: add its line to a table
(and its sample record to ``build_world`` if it needs one).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image as PILImage
import sqlalchemy as sa
from flask import Flask, url_for

from crm.actions import committee, proposals, versions
from crm.actions.services import FundingInput
from crm.bounces import services as bounces
from crm.bounces.models import BounceMatch
from crm.campaigns import links as campaign_links
from crm.campaigns import services as campaigns
from crm.campaigns.models import CampaignLink
from crm.events import door as walk_ins
from crm.events import letter_blocks
from crm.images import services as images
from crm.imports import services as imports
from crm.projects import services as projects
from crm.tasks import services as tasks
from crm.auth import tokens as password_tokens
from crm.campaigns.models import CampaignStatus
from crm.events import services as events
from crm.events.models import Invitation
from crm.events.tokens import rsvp_url
from crm.extensions import db
from crm.mail.outbox import list_messages
from crm.partners import services as partners
from crm.partners.models import Contact, Organisation
from crm.segments import services as segments
from crm.signup import links
from tests import factories
from tests.accessibility.axe import describe, violations
from tests.actions import helpers as plan
from tests.fixtures import PASSWORD
from tests.signup.helpers import form_data


@dataclass
class World:
    """One real record of each kind a page shows, and the tokens of the public links."""

    organisation: Organisation
    contact: Contact
    twin: Contact  # a likely duplicate of ``contact``
    subscriber: Contact
    pending: Contact
    user: Any
    event: Any
    invitation: Invitation
    campaign: Any
    sent_campaign: Any
    segment: Any
    action: Any
    funding: Any
    session: Any
    versions: list[Any]
    import_token: str
    mail_key: str
    project: Any = None
    project_funding: Any = None
    plan_import_token: str = ""
    walk_in_search: str = ""
    tokens: dict[str, str] = field(default_factory=dict)


Values = Callable[[World], dict[str, Any]]
NONE: Values = lambda w: {}  # noqa: E731

# Back-office pages: endpoint -> URL values of a sample record. One line per route.
BACK_OFFICE: dict[str, Values] = {
    "dashboard.index": NONE,
    "dashboard.printable": NONE,
    "partners.organisations": NONE,
    "partners.organisation_detail": lambda w: {"organisation_id": w.organisation.id},
    "partners.organisation_edit": lambda w: {"organisation_id": w.organisation.id},
    "partners.organisation_create": NONE,
    "partners.contacts": NONE,
    "partners.contact_detail": lambda w: {"contact_id": w.contact.id},
    "partners.contact_edit": lambda w: {"contact_id": w.contact.id},
    "partners.contact_create": NONE,
    "partners.club_members": NONE,
    "signup.admin.inbox": lambda w: {"filtre": "all"},
    "signup.admin.kit_upload": NONE,
    "imports.upload": NONE,
    "imports.columns": lambda w: {"token": w.import_token},
    "imports.simulation": lambda w: {"token": w.import_token},
    "imports.duplicates_list": NONE,
    "imports.merge_preview": lambda w: {"kind": "contacts", "first_id": w.contact.id, "second_id": w.twin.id},
    "events.index": NONE,
    "events.create": NONE,
    "events.detail": lambda w: {"event_id": w.event.id},
    "events.edit": lambda w: {"event_id": w.event.id},
    "events.door": lambda w: {"event_id": w.event.id, "q": w.walk_in_search},  # with walk-ins to admit
    "campaigns.admin.index": NONE,
    "campaigns.admin.create": NONE,
    "campaigns.admin.show": lambda w: {"campaign_id": w.campaign.id},
    "campaigns.admin.edit": lambda w: {"campaign_id": w.campaign.id},
    "campaigns.admin.preview_html": lambda w: {"campaign_id": w.campaign.id},
    "campaigns.admin.templates": NONE,
    "segments.index": NONE,
    "segments.create": NONE,
    "segments.edit": lambda w: {"segment_id": w.segment.id},
    "mail.index": NONE,
    "mail.show": lambda w: {"key": w.mail_key},
    "mail.show_html": lambda w: {"key": w.mail_key},
    "actions.index": NONE,
    "actions.create": NONE,
    "actions.detail": lambda w: {"action_id": w.action.id},
    "actions.edit": lambda w: {"action_id": w.action.id},
    "actions.edit_funding": lambda w: {"line_id": w.funding.id},
    "actions.sessions": NONE,
    "actions.session": lambda w: {"session_id": w.session.id},
    "actions.proposal_list": NONE,
    "actions.version_list": NONE,
    "actions.version": lambda w: {"version_id": w.versions[0].id},
    "actions.compare": lambda w: {"de": w.versions[0].id, "a": w.versions[1].id},
    "actions.report": NONE,
    "actions.report_print": NONE,
    "actions.import_upload": NONE,
    "actions.import_columns": lambda w: {"token": w.plan_import_token},
    "projects.board": NONE,
    "projects.listing": NONE,
    "projects.numbers": NONE,
    "projects.create": NONE,
    "projects.detail": lambda w: {"project_id": w.project.id},
    "projects.edit": lambda w: {"project_id": w.project.id},
    "projects.edit_funding": lambda w: {"line_id": w.project_funding.id},
    "tasks.index": NONE,
    "tasks.create": NONE,
    "bounces.index": NONE,
    "images.admin.index": NONE,
    "privacy.register_page": NONE,
    "privacy.reviews": NONE,
    "privacy.contact_page": lambda w: {"contact_id": w.contact.id},
    "privacy.contact_html": lambda w: {"contact_id": w.contact.id},
    "auth.users.list_users": NONE,
    "auth.users.create_user": NONE,
    "auth.users.edit_user": lambda w: {"user_id": w.user.id},
    "account.index": NONE,
    "accessibility_admin.edit": NONE,
}

# Public pages, seen logged out: endpoint -> URL values, tokens made for a real person.
PUBLIC: dict[str, Values] = {
    "auth.login": NONE,
    "account.forgot_password": NONE,
    "account.reset_password": lambda w: {"token": w.tokens["reset"]},
    "signup.signup": NONE,
    "signup.thanks": NONE,
    "signup.resend": NONE,
    "signup.confirm": lambda w: {"token": w.tokens["confirm"]},
    "signup.preferences": lambda w: {"token": w.tokens["preferences"]},
    "signup.unsubscribe": lambda w: {"token": w.tokens["unsubscribe"]},
    "signup.preferences_link": NONE,
    "rsvp.answer_page": lambda w: {"event_id": w.event.id, "token": w.tokens["rsvp"]},
    "rsvp.letter_answer_page": lambda w: {"event_id": w.event.id, "token": w.tokens["letter_rsvp"]},
    "campaigns.archive.index": NONE,
    "campaigns.archive.show": lambda w: {"campaign_id": w.sent_campaign.id},
    "actions_public.published": NONE,
    "actions_public.propose": lambda w: {"token": w.tokens["proposal"]},
    "accessibility.statement": NONE,
}

# A second sample of a back-office route whose page changes with its record's state: endpoint, URL values, and
# what that page must show (as in SHOWS below).
MORE_BACK_OFFICE: list[tuple[str, Values, list[str]]] = [
    ("campaigns.admin.show", lambda w: {"campaign_id": w.sent_campaign.id},  # a sent letter: clicks on its links
     ["#clicks-title", "text=https://example.org/programme"]),
]

# What a page must show (Playwright selectors, each waited for until visible) before axe judges it: its sample
# records and the parts its script reveals, so that the walk checks them and not an empty page.
SHOWS: dict[str, list[str]] = {
    "campaigns.admin.create": ["[data-editor-toolbar]", "[data-preview-frame]"],
    "campaigns.admin.edit": ["[data-editor-toolbar]", "[data-preview-frame]"],
    "campaigns.admin.templates": ["text=Lettre mensuelle"],
    "events.door": [".door-candidates", ".door-walk-in form", "text=Exemple-Durand"],
    "projects.board": ["text=Nouvelle ligne de découpe laser"],
    "projects.listing": ["text=Nouvelle ligne de découpe laser"],
    "projects.detail": ["text=Premier rendez-vous sur site", "table.funding >> text=Région Normandie"],
    "projects.edit_funding": ["form"],
    "tasks.index": ["text=Envoyer le compte rendu"],
    "bounces.index": ["text=452 boîte pleine", "text=550 5.1.1 boîte inconnue"],
    "images.admin.index": ["img[src*='/medias/']"],
    "actions.import_columns": ["text=Atelier partagé"],
    "rsvp.letter_answer_page": ["text=Comité technique semestriel"],
    "signup.preferences_link": ["input[type=email]"],
}

# Closed disclosures (<details>) whose content is checked too: opened before axe runs (by script, leaving the
# focus where the page put it).
OPENS: dict[str, str] = {
    "events.door": "details.door-walk-in",
}

# Back-office pages served under a "sandbox" Content-Security-Policy (a letter's HTML, framed by its page).
SANDBOXED = {"campaigns.admin.preview_html", "mail.show_html"}

# GET routes that are not pages: why each one is left out.
NOT_PAGES: dict[str, str] = {
    "static": "fichiers CSS et JavaScript",
    "index": "redirection vers le tableau de bord",
    "partners.contacts_export": "fichier CSV",
    "partners.organisations_export": "fichier CSV",
    "events.export": "fichier CSV",
    "rsvp.feed": "calendrier ICS",
    "campaigns.archive.feed": "flux Atom (XML)",
    "campaigns.admin.progress": "JSON de la barre de progression",
    "segments.live_count": "JSON du compte en direct",
    "actions.report_xlsx": "classeur XLSX",
    "privacy.contact_json": "export JSON",
    "signup.kit_download": "fichier du kit de communication",
    "partners.organisation_directory": "JSON de la recherche SIRET du formulaire",
    "projects.export_csv": "fichier CSV",
    "projects.export_xlsx": "classeur XLSX",
    "images.public.show": "fichier image d'une lettre",
    "campaigns.links.follow": "redirection comptée vers le lien d'une lettre",
}

# Pages no route names: what a person sees when something goes wrong.
EXTRA_PUBLIC = ["/nulle-part", "/inscription/confirmer/lien-abime", "/preferences/lien-abime"]


def _get_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or set())}


def unclassified(app: Flask) -> set[str]:
    """GET routes neither visited by the accessibility test nor classified as not a page."""
    return _get_endpoints(app) - (BACK_OFFICE.keys() | PUBLIC.keys() | NOT_PAGES.keys())


def test_every_get_route_is_visited_or_classified(app: Flask) -> None:
    listed = BACK_OFFICE.keys() | PUBLIC.keys() | NOT_PAGES.keys()
    assert not (BACK_OFFICE.keys() & PUBLIC.keys()), "a route is listed as both public and back office"
    assert not unclassified(app), f"GET routes neither visited nor classified: {unclassified(app)}"
    assert not listed - _get_endpoints(app), "routes listed that no longer exist"
    visited = BACK_OFFICE.keys() | PUBLIC.keys()
    assert SHOWS.keys() | OPENS.keys() | {endpoint for endpoint, _, _ in MORE_BACK_OFFICE} <= visited


def test_a_get_route_added_later_is_caught_until_listed(app: Flask) -> None:
    app.add_url_rule("/admin/exemple/", "example_feature.index", lambda: "exemple")
    app.add_url_rule("/admin/exemple/<int:item_id>/supprimer", "example_feature.delete", lambda item_id: "",
                     methods=["POST"])
    assert unclassified(app) == {"example_feature.index"}  # the POST-only route is not a page


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _token(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[1]


def build_world(app: Flask, client: Any, tmp_path: Any, admin: Any) -> World:
    organisation = partners.save_organisation(partners.OrganisationInput(
        name="Fonderie Exemple", kind="entreprise", siret="", postal_code="61000", commune="Alençon"))
    partners.join_club(organisation, date.today() - timedelta(days=400))
    contact = factories.contact("camille.exemple@example.org", "Camille", "Exemple", organisation=organisation,
                                job_title="Directrice")
    twin = factories.contact("c.exemple@example.org", "Camille", "Exemple", organisation=organisation)
    subscriber = factories.subscriber("dominique.fictif@example.org", "Dominique", "Fictif")
    pending = factories.subscriber("elise.modele@example.org", "Élise", "Modèle", status="pending")
    partners.add_note("Rappeler pour la visite du site.", "task", contact=contact)
    from crm.auth.services import create_user
    editor = create_user("redactrice@example.org", PASSWORD, "editor")

    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)
    event = events.create_event(events.EventInput(kind="comite_technique", title="Comité technique semestriel",
                                                  starts_at=starts, ends_at=starts + timedelta(hours=2),
                                                  description="Ordre du jour :\nle plan d'actions.",
                                                  place="Hôtel de ville, Alençon", capacity=40))
    events.invite_contacts(event, [contact.id, subscriber.id], send=False)
    invitation = db.session.scalars(sa.select(Invitation).where(Invitation.contact_id == contact.id)).one()

    segment = segments.save_segment("Club des Industriels", "Membres du Club",
                                    segments.SegmentCriteria(club="yes"))
    db.session.commit()
    campaign = factories.campaign("Lettre n°12", segment_id=segment.id, schedule=False, body=(
        "Bonjour {{prenom}},\n\n## Le comité se réunit\n\n{{ evenement %d }}\n\n"
        "[Le programme](https://example.org/programme)" % event.id))
    sent_campaign = factories.campaign("Lettre n°11", schedule=False)
    sent_campaign.status = CampaignStatus.SENT.value
    sent_campaign.sent_at = datetime.now(UTC) - timedelta(days=3)
    sent_campaign.public = True

    item = plan.action("2.1", "Vitrine industrielle", pilot_organisation_id=organisation.id)
    funder = plan.organisation("Région Normandie")
    funding = plan.granted_line(item, funder, "12500.00", "10000.00")
    committee_event = plan.committee_event(days=-10)
    session = committee.open_session(committee_event.id)
    first = versions.freeze(session, on=date.today() - timedelta(days=10))
    plan.action("2.2", "Forum des métiers")
    second = versions.freeze(on=date.today())
    proposals.propose(subscriber, "Un atelier de robotique", plan.axis().id, "Prêt de matériel")
    db.session.commit()

    # Requests in the inbox: a signup confirmed, with a project, an ambassador candidacy and the kit.
    client.post("/inscription", data=form_data(requests=["join", "project", "ambassador", "kit", "newsletter"]))
    db.session.commit()
    signed_up = db.session.scalar(sa.select(Contact).where(Contact.email == "anne.martin@example.org"))
    client.post(_path(links.confirm_url(signed_up)))
    client.post("/inscription", data=form_data(email="bruno.gabarit@example.org", first_name="Bruno",
                                               last_name="Gabarit", requests=["newsletter"]))
    db.session.commit()
    unconfirmed = db.session.scalar(sa.select(Contact).where(Contact.email == "bruno.gabarit@example.org"))
    # The newest mail the application sent (Bruno's confirmation request), as the outbox shows it.
    mail_key = list_messages(app.config["MAILDIR_PATH"], 1, 10).items[0].key

    # An import waiting at its columns step.
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path)
    rows = "Prénom;Nom;Courriel;Entreprise\nHervé;Démo;herve.demo@example.org;Fonderie Exemple\n"
    uploaded = client.post("/admin/donnees/import",
                           data={"file": (io.BytesIO(rows.encode("utf-8")), "partenaires.csv")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)
    import_token = _token(uploaded.location)
    client.post(uploaded.location, data={"col_0": "first_name", "col_1": "last_name", "col_2": "email",
                                         "col_3": "organisation_name", "mode": "update"})

    # A project with a funding line and its next step (a task of the admin's), a task of the admin's about a
    # contact, a letter template, an image uploaded for a letter, a plan import at its columns step.
    project = projects.create_project(
        projects.ProjectInput(organisation_id=organisation.id, title="Nouvelle ligne de découpe laser",
                              owner_id=admin.id, contact_id=contact.id, investment="250000"),
        "Premier rendez-vous sur site", date.today() + timedelta(days=7), user_id=admin.id)
    project_funding = projects.add_funding(project, FundingInput(
        funder_id=funder.id, scheme="Fonds Territoires d'industrie", amount_requested=Decimal("80000"),
        amount_granted="60000", status="accorde", decided_on=date.today()))
    tasks.create_task(tasks.TaskInput(title="Envoyer le compte rendu", due_on=date.today() - timedelta(days=1),
                                      owner_id=admin.id, contact_id=contact.id), admin.id)
    campaigns.save_as_template(sent_campaign, "Lettre mensuelle", author_id=admin.id)
    picture = io.BytesIO()
    PILImage.new("RGB", (40, 20), (10, 80, 160)).save(picture, format="PNG")
    images.store(picture.getvalue(), "bandeau.png", uploaded_by_id=admin.id)
    plan_rows = "Numéro;Intitulé;Axe\n3.1;Atelier partagé;Attractivité\n"
    plan_import_token = imports.save_upload("plan.csv", plan_rows.encode("utf-8")).token

    # Bounce reports: one tied to a mail of ours, one tied to none.
    bounced = factories.sent_to("ancien.contact@example.org", days_ago=2)
    bounces.record_bounce("ancien.contact@example.org", permanent=True, delivery_id=bounced.id,
                          detail="550 5.1.1 boîte inconnue", matched_by=BounceMatch.MESSAGE_ID)
    bounces.record_unmatched("inconnu@example.org", permanent=False, detail="452 boîte pleine")

    # The sent letter has a counted link, clicked once; the editor's letter shows an image and an event card.
    campaign_links.register(sent_campaign, '<p><a href="https://example.org/programme">Le programme</a></p>')
    db.session.flush()
    link = db.session.scalars(sa.select(CampaignLink).where(CampaignLink.campaign_id == sent_campaign.id)).one()
    campaign_links.follow(sent_campaign.id, link.id)
    # Someone came to the door without an invitation; another, known but not invited, is found by a search.
    walk_ins.admit_new_person(event, walk_ins.WalkIn(first_name="Gaël", last_name="Exemple-Durand",
                                                     organisation="Fonderie Exemple",
                                                     email="gael.exemple-durand@example.org"), user_id=admin.id)

    db.session.commit()
    world = World(organisation=organisation, contact=contact, twin=twin, subscriber=subscriber, pending=pending,
                  user=editor, event=event, invitation=invitation, campaign=campaign, sent_campaign=sent_campaign,
                  segment=segment, action=item, funding=funding, session=session, versions=[first, second],
                  import_token=import_token, mail_key=mail_key, project=project, project_funding=project_funding,
                  plan_import_token=plan_import_token, walk_in_search="Exemple")
    world.tokens = {
        "reset": _token(password_tokens.reset_url(editor)),
        "confirm": _token(links.confirm_url(unconfirmed)),
        "preferences": _token(links.preferences_url(subscriber)),
        "unsubscribe": _token(links.unsubscribe_url(subscriber)),
        "rsvp": _token(rsvp_url(invitation)),
        "letter_rsvp": _token(letter_blocks.answer_url(event.id, twin)),  # a letter's reader not yet invited
        "proposal": _token(proposals.proposal_url(contact)),
    }
    return world


FIRST_STOP = """() => { const e = document.activeElement;
  return [e.classList.contains("skip"), e.textContent.trim(), getComputedStyle(e).outlineStyle,
          e.getBoundingClientRect().left >= 0]; }"""


def _check(page: Any, base: str, path: str, failures: dict[str, str], status: int = 200,
           app_page: bool = True, endpoint: str = "", shows: list[str] | None = None) -> None:
    """axe's verdict on the page at ``path``; on a page of the application, also: the first Tab stop is the skip
    link, shown with a visible focus outline, and the footer links the déclaration d'accessibilité."""
    response = page.goto(base + path)
    if response is None or response.status != status or _path(page.url) != path:
        failures[path] = f"  answered {response and response.status} at {page.url} (expected {status} here)"
        return
    problems = []
    if endpoint in OPENS:
        page.locator(OPENS[endpoint]).first.evaluate("details => { details.open = true; }")
    for selector in SHOWS.get(endpoint, []) if shows is None else shows:
        try:
            page.locator(selector).first.wait_for(state="visible", timeout=5_000)
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: said below, the walk goes on
            problems.append(f"  does not show {selector!r}")
    found = violations(page)
    problems += [describe(found)] if found else []
    if app_page:
        page.keyboard.press("Tab")
        is_skip, text, outline, on_screen = page.evaluate(FIRST_STOP)
        if not (is_skip and text == "Aller au contenu" and outline != "none" and on_screen):
            problems.append(f"  first Tab stop: skip={is_skip} {text!r} outline={outline} shown={on_screen}")
        if page.locator('footer a[href="/accessibilite"]').count() != 1:
            problems.append("  no footer link to the déclaration d'accessibilité")
    if problems:
        failures[path] = "\n".join(problems)


@pytest.mark.browser
@pytest.mark.slow
def test_every_page_passes_axe_wcag_21_aa(app: Flask, client: Any, login: Any, live_server: Any,
                                          _playwright_browser: Any, tmp_path: Any) -> None:
    admin = login("admin")
    world = build_world(app, client, tmp_path, admin)
    with app.test_request_context():
        public = {endpoint: _path(url_for(endpoint, **values(world))) for endpoint, values in PUBLIC.items()}
        back_office = [(endpoint, _path(url_for(endpoint, **values(world))), None)
                       for endpoint, values in BACK_OFFICE.items()]
        back_office += [(endpoint, _path(url_for(endpoint, **values(world))), shows)
                        for endpoint, values, shows in MORE_BACK_OFFICE]

    failures: dict[str, str] = {}
    visitor = _playwright_browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    try:
        page = visitor.new_page()
        page.set_default_timeout(15_000)
        for endpoint, path in public.items():
            _check(page, live_server.url, path, failures, endpoint=endpoint)
        for path in EXTRA_PUBLIC:
            _check(page, live_server.url, path, failures, status=_status_of(client, path))
    finally:
        visitor.close()

    # A letter's HTML is served under a "sandbox" policy (no script may run in it, axe's included) and shown in a
    # frame of its page: it is checked in a browser told to set that policy aside.
    for sandboxed in (False, True):
        admin = _playwright_browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", bypass_csp=sandboxed)
        try:
            page = admin.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/connexion")
            page.get_by_label("Adresse e-mail").fill("admin@example.org")
            page.get_by_label("Mot de passe").fill(PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.wait_for_url("**/admin/")
            for endpoint, path, shows in back_office:
                if (endpoint in SANDBOXED) is sandboxed:
                    _check(page, live_server.url, path, failures, app_page=not sandboxed, endpoint=endpoint,
                           shows=shows)
        finally:
            admin.close()
    assert len(public) + len(back_office) >= 60
    assert not failures, "axe WCAG 2.1 A/AA violations:\n" + "\n".join(
        f"{path}\n{found}" for path, found in failures.items())


def _status_of(client: Any, path: str) -> int:
    return client.get(path).status_code
