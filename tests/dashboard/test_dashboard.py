"""The committee dashboard renders in French with the demo data and with an empty database, charts as SVG."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from crm.consent import services as consent
from crm.consent.models import OptInStatus
from crm.dashboard import services
from crm.db import utcnow
from crm.extensions import db
from crm.partners.demo import load_demo_data
from crm.partners.models import Contact
from tests.fixtures import PASSWORD
from tests.privacy import people

FRENCH = ["Tableau de bord", "Structures par type", "Structures par filière", "Structures par département",
          "Ambassadeurs par statut", "Abonnés confirmés", "Membres du Club des Industriels",
          "Lettres d'information envoyées", "Événements à venir et réponses", "En attente d'une action"]


def _check_page(html: str, texts: list[str] = FRENCH) -> None:
    html = html.replace("&#39;", "'")
    for text in texts:
        assert text in html, text
    assert html.count("<svg") >= 7
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert "<script>" not in html and " style=" not in html  # CSP: no inline script or style


def test_empty_database(app, client, login) -> None:
    login("viewer")
    html = client.get("/admin/").get_data(as_text=True)
    _check_page(html)
    html = html.replace("&#39;", "'")
    assert "Aucune structure" in html and "Aucune lettre envoyée pour l'instant." in html
    assert "Aucun événement à venir" in html
    printable = client.get("/admin/tableau-de-bord/imprimer").get_data(as_text=True)
    _check_page(printable, FRENCH[1:])
    assert "Comité technique semestriel : chiffres clés au" in printable


def test_demo_data(app, client, login) -> None:
    load_demo_data()
    contacts = list(db.session.scalars(db.select(Contact).limit(5)))
    for contact in contacts[:3]:
        consent.set_status(contact, OptInStatus.CONFIRMED)
    consent.set_status(contacts[3], OptInStatus.PENDING)
    event = people.make_event("Comité technique semestriel (démo)")
    if event:
        people._invite(contacts[0], event, "accepted")
        people._invite(contacts[1], event, "declined")
    db.session.commit()
    data = services.build()
    key = _values(data.key)
    assert key["structures partenaires"] == 30 and key["membres du Club des Industriels"] > 0
    assert sum(n for _, n in data.by_kind.items) == 30 and ("61 — Orne", 0) not in data.by_department.items
    assert dict(data.by_department.items)["61 — Orne"] > 0
    assert key["abonnés confirmés à la lettre"] == 3 and data.subscribers_by_month[-1][1] == 3
    assert _values(data.waiting)["Inscriptions en attente de confirmation de l'adresse"] == 1
    if event:
        from crm.events.figures import upcoming

        assert upcoming()[0].answers == {"accepted": 1, "declined": 1}
    login("viewer")
    html = client.get("/admin/").get_data(as_text=True)
    _check_page(html)
    assert "Entreprise industrielle" in html and "Plasturgie et composites" in html
    if event:
        assert "Comité technique semestriel (démo)" in html


def _values(counts: list[services.Count]) -> dict[str, int]:
    return {str(count.label): count.value for count in counts}


def test_scheduler_heartbeat(tmp_path: Path) -> None:
    assert services.scheduler_heartbeat(str(tmp_path)) is None
    moment = utcnow()
    (tmp_path / "scheduler.heartbeat").write_text(moment.isoformat())
    assert services.scheduler_heartbeat(str(tmp_path)) == moment


def test_campaign_figures(app) -> None:
    campaigns, deliveries = people.table("campaigns"), people.table("deliveries")
    assert campaigns is not None and deliveries is not None
    from crm.consent.models import ConsentAction, Topic

    topic_id = db.session.scalar(db.select(Topic.id).where(Topic.code == "lettre"))
    now = utcnow()
    campaign_id = db.session.execute(db.insert(campaigns).values(
        subject="Lettre n°1 (test)", preheader="", body_markdown="", topic_id=topic_id, status="sent", public=True,
        started_at=now - timedelta(days=3), finished_at=now - timedelta(days=3), created_at=now, updated_at=now,
    )).inserted_primary_key[0]
    readers = [people.make_person(f"Lecteur{i}", "Fictif", f"lecteur{i}@example.org", "") for i in range(4)]
    for i, (reader, status) in enumerate(zip(readers, ["sent", "sent", "bounced", "skipped"], strict=True)):
        db.session.execute(db.insert(deliveries).values(
            kind="campaign", contact_id=reader.id, campaign_id=campaign_id, dedupe_key=f"c:{campaign_id}:{i}",
            status=status, attempts=1, next_attempt_at=now, created_at=now))
    consent.record(readers[1], ConsentAction.UNSUBSCRIBE, source="one_click")
    db.session.commit()
    from crm.campaigns.figures import recent

    figures = recent()
    assert [(c.subject, c.sent, c.bounced, c.unsubscribed) for c in figures] == [("Lettre n°1 (test)", 3, 1, 1)]


def test_signup_requests_waiting_for_the_team(app) -> None:
    from crm.signup import services as signup

    made = signup.submit(signup.SignupInput(
        organisation_name="Fonderie Fictive", postal_code="61000", commune="Alençon", first_name="Solène",
        last_name="Essai", email="solene.essai@example.org", consent=True, requests=["project", "ambassador"]))
    db.session.commit()
    assert _values(services.build().waiting)["Inscriptions en attente de confirmation de l'adresse"] == 1
    signup.confirm(db.session.get(Contact, made.contact_id), made.created_at)
    db.session.commit()
    waiting = _values(services.build().waiting)
    assert waiting["Demande : Échanger sur un projet"] == 1
    assert waiting["Inscriptions en attente de confirmation de l'adresse"] == 0


def test_subscribers_over_time_counts_unsubscribes(app) -> None:
    contact = people.make_person("Anaïs", "Gabarit", "anais.gabarit@example.org", "")
    subscription = consent.subscription_of(contact)
    subscription.confirmed_at = utcnow() - timedelta(days=100)
    subscription.unsubscribed_at = utcnow() - timedelta(days=5)
    subscription.status = OptInStatus.UNSUBSCRIBED.value
    db.session.commit()
    points = [n for _, n in services.build().subscribers_by_month]
    assert points[-1] == 0 and points[-3] == 1 and points[0] == 0


@pytest.mark.browser
def test_browser_screenshot(app, live_server, page, make_user, tmp_path: Path) -> None:
    load_demo_data()
    db.session.commit()
    user = make_user("viewer")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/connexion")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/admin/**")
    page.goto(f"{live_server.url}/admin/")
    assert page.locator("h1").first.inner_text() == "Tableau de bord"
    assert page.locator("svg").count() >= 7
    shot = tmp_path / "tableau-de-bord.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.goto(f"{live_server.url}/admin/tableau-de-bord/imprimer")
    page.emulate_media(media="print")
    assert page.locator("header.topbar").count() == 0
    assert all(url.startswith(live_server.url) for url in requests), requests
