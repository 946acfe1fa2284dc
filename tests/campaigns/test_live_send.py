"""Following a send: the scheduler's idle tick costs one query and notices due work at once; the campaign page
follows the send by itself (browser, with the scheduler's dispatch job running beside a live server); pause,
resume and cancel answer JSON to the page's script."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

import scheduler
from crm.auth.services import create_user
from crm.campaigns import services
from crm.campaigns.models import Campaign
from crm.extensions import db
from crm.mail import jobs
from tests.actions.query_count import count_queries
from tests.factories import campaign, subscriber
from tests.fixtures import PASSWORD, LiveServer
from tests.smtp_sink import SmtpSink


def test_idle_dispatch_is_one_query_and_due_work_is_noticed(smtp_app: Flask, smtp_sink: SmtpSink) -> None:
    subscriber("a@example.org", "A", "A")
    db.session.commit()
    with count_queries() as idle:
        jobs.dispatch(smtp_app)
    assert idle.count == 1
    assert smtp_sink.messages() == []

    item = campaign("Tout de suite")  # scheduled "now", as "Envoyer maintenant" does
    with count_queries() as busy:
        jobs.dispatch(smtp_app)
    assert busy.count > 1
    assert smtp_sink.recipients() == ["a@example.org"]
    db.session.expire_all()
    assert db.session.get(Campaign, item.id).status == "sent"


def test_a_later_letter_is_not_due_and_a_finished_send_is_settled(smtp_app: Flask) -> None:
    from datetime import timedelta

    from crm.db import utcnow

    subscriber("a@example.org", "A", "A")
    item = campaign(schedule=False)
    services.schedule(item, utcnow() + timedelta(hours=1))
    db.session.commit()
    assert jobs.work_due() is False
    item.status = "sending"  # nothing queued: the next tick must mark it sent
    db.session.commit()
    assert jobs.work_due() is True


def test_progress_json_has_rate_and_estimated_end(app: Flask, login: Any, client: Any) -> None:
    login("viewer")
    for i in range(3):
        subscriber(f"s{i}@example.org", f"S{i}", "X")
    item = campaign()
    services.start_due()
    db.session.commit()
    data = client.get(f"/admin/lettres/{item.id}/progression.json").get_json()
    assert data["status"] == "sending" and data["total"] == 3 and data["percent"] == 0
    assert data["rate_per_minute"] is None and data["estimated_end"] is None
    page = client.get(f"/admin/lettres/{item.id}").get_data(as_text=True)
    assert 'role="progressbar"' in page and 'aria-valuenow="0"' in page and 'data-percent="0"' in page


def test_pause_resume_cancel_answer_json_to_the_script(app: Flask, login: Any, client: Any) -> None:
    login("editor")
    subscriber("a@example.org", "A", "A")
    item = campaign()
    services.start_due()
    db.session.commit()
    json = {"Accept": "application/json"}
    answer = client.post(f"/admin/lettres/{item.id}/pause", headers=json)
    assert answer.status_code == 200 and answer.get_json()["status"] == "paused"
    answer = client.post(f"/admin/lettres/{item.id}/pause", headers=json)  # already paused: refused, said why
    assert answer.status_code == 409 and "pause" in answer.get_json()["message"]
    assert client.post(f"/admin/lettres/{item.id}/reprendre", headers=json).get_json()["status"] == "sending"
    # Without the script: the same form redirects back to the page.
    answer = client.post(f"/admin/lettres/{item.id}/annuler")
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, item.id).status == "cancelled"


@pytest.fixture
def sending_app(make_app: Any, smtp_sink: SmtpSink) -> Iterator[tuple[Flask, LiveServer]]:
    """The web app and, beside it, the scheduler's dispatch job at its default tick (5 s)."""
    app = make_app(MAIL_SERVER=smtp_sink.host, MAIL_PORT=smtp_sink.port, MAIL_SUPPRESS_SEND=False,
                   WTF_CSRF_ENABLED=True, SEND_RATE_PER_SECOND=4)
    server = LiveServer(app)
    server.start()
    sched = scheduler.build_scheduler(app, [job for job in scheduler.jobs_of(app) if job.id == "dispatch"])
    sched.start()
    with app.app_context():
        create_user("cheffe@example.org", PASSWORD, "editor")
        db.session.commit()
        yield app, server
    sched.shutdown(wait=True)
    server.stop()


@pytest.mark.browser
def test_send_now_leaves_within_seconds_and_the_page_follows(page: Any, sending_app: Any,
                                                             smtp_sink: SmtpSink) -> None:
    app, server = sending_app
    assert app.config["SCHEDULER_TICK_SECONDS"] == 5
    for i in range(12):
        subscriber(f"s{i}@example.org", f"S{i}", "X")
    item = campaign("Lettre suivie", schedule=False)
    page.goto(f"{server.url}/admin/lettres/{item.id}")
    page.get_by_label("Adresse e-mail").fill("cheffe@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**/admin/lettres/{item.id}")
    page.on("dialog", lambda dialog: dialog.accept())

    page.get_by_role("button", name="Envoyer maintenant").click()
    clicked = time.monotonic()
    expect(page.locator("[data-status-label]")).to_have_text("Programmée")
    while not smtp_sink.messages():
        assert time.monotonic() - clicked < 10, "no message on the relay 10 s after « Envoyer maintenant »"
        time.sleep(0.05)

    # The page follows by itself (no reload): sending, then sent, the bar full.
    bar = page.get_by_role("progressbar")
    expect(page.locator("[data-status-label]")).to_have_text("Envoyée", timeout=30_000)
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("[data-progress-percent]")).to_have_text("100")
    expect(page.locator('[data-count="sent"]')).to_have_text("12")
    # Drawn full (the fill as wide as its track, once the transition ends), not a stub.
    page.wait_for_function("() => document.querySelector('.progress-fill').getBoundingClientRect().width"
                           " >= document.querySelector('.progress').getBoundingClientRect().width - 3")
    assert not page.get_by_role("button", name="Mettre en pause").is_visible()
    assert len(smtp_sink.messages()) == 12


@pytest.mark.browser
def test_pause_resume_cancel_without_reload(app: Flask, live_server: Any, page: Any, make_user: Any) -> None:
    make_user("editor", "cheffe@example.org")
    for i in range(3):
        subscriber(f"s{i}@example.org", f"S{i}", "X")
    item = campaign("Lettre à suspendre")
    services.start_due()
    db.session.commit()
    page.goto(f"{live_server.url}/admin/lettres/{item.id}")
    page.get_by_label("Adresse e-mail").fill("cheffe@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**/admin/lettres/{item.id}")
    page.evaluate("() => { window.stillTheSamePage = true; }")
    label = page.locator("[data-status-label]")
    expect(label).to_have_text("Envoi en cours")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuetext", "0 %")

    page.get_by_role("button", name="Mettre en pause").click()
    expect(label).to_have_text("En pause")
    expect(page.get_by_role("status").filter(has_text="Envoi mis en pause.")).to_be_visible()
    expect(page.get_by_role("button", name="Mettre en pause")).to_be_hidden()
    page.get_by_role("button", name="Reprendre").click()
    expect(label).to_have_text("Envoi en cours")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Annuler l'envoi").click()
    expect(label).to_have_text("Annulée")
    expect(page.get_by_role("button", name="Reprendre")).to_be_hidden()
    assert page.evaluate("() => window.stillTheSamePage") is True  # no reload
    db.session.expire_all()
    assert db.session.get(Campaign, item.id).status == "cancelled"
