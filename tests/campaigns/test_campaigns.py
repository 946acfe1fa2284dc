"""Campaign editor, preview, test send, scheduling in Europe/Paris, states, progress, archive and feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from crm.campaigns import content, services
from crm.campaigns.models import Campaign
from crm.campaigns.services import CampaignError
from crm.consent.models import ConsentAction
from crm.consent.services import record
from crm.extensions import db
from crm.mail.pipeline import send_due
from tests.factories import campaign, subscriber

BODY = "Bonjour {{prenom}},\n\n**Important** : [le programme](https://example.org/programme).\n\n- un\n- deux"


def _form(**values: Any) -> dict[str, Any]:
    return {"subject": "Lettre de mars", "preheader": "Les nouvelles", "body_markdown": BODY, "topic": "lettre",
            "segment_id": "0", "public": "y", **values}


def test_markdown_is_rendered_then_sanitised(app: Flask) -> None:
    html = content.body_html("Salut <script>alert(1)</script> [x](javascript:alert(1)) <b onclick='x()'>gras</b>"
                             "\n\n<img src=x onerror=alert(1)>")
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html and "onerror" not in html
    assert "<b>gras</b>" in html


def test_personal_fields_are_escaped_in_html(app: Flask) -> None:
    contact = subscriber("x@example.org", "<b>Éva</b>", "O'Hara")
    item = campaign(body="Bonjour {{prenom}} {{nom}}", schedule=False)
    message = content.message_for(item, contact)
    assert "Bonjour &lt;b&gt;Éva&lt;/b&gt; O&#x27;Hara" in message.html
    assert "Bonjour <b>Éva</b> O'Hara" in message.body
    assert "List-Unsubscribe" in message.extra_headers


def test_editor_creates_previews_and_test_sends(client: FlaskClient, login: Any, outbox: list[Any]) -> None:
    login("editor")
    assert client.get("/admin/lettres/nouvelle").status_code == 200
    empty = client.post("/admin/lettres/nouvelle", data=_form(subject="", body_markdown=""))
    assert empty.status_code == 400 and "L&#39;objet est obligatoire" in empty.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0

    response = client.post("/admin/lettres/nouvelle", data=_form())
    assert response.status_code == 302
    item = db.session.scalar(sa.select(Campaign))
    page = client.get(f"/admin/lettres/{item.id}").get_data(as_text=True)
    assert "Bonjour Camille," in page  # text preview with the sample person
    preview = client.get(f"/admin/lettres/{item.id}/apercu.html")
    assert "<strong>Important</strong>" in preview.get_data(as_text=True)
    assert "sandbox" in preview.headers["Content-Security-Policy"]

    bad = client.post(f"/admin/lettres/{item.id}/test", data={"email": "pas-une-adresse"})
    assert bad.status_code == 400 and outbox == []
    client.post(f"/admin/lettres/{item.id}/test", data={"email": "cheffe@example.org"})
    assert len(outbox) == 1 and outbox[0].subject == "[TEST] Lettre de mars"
    assert outbox[0].recipients == ["cheffe@example.org"] and outbox[0].html and outbox[0].body


def test_schedule_in_paris_time(client: FlaskClient, login: Any, app: Flask) -> None:
    login("editor")
    subscriber("a@example.org", "Anne", "A")
    item = campaign(schedule=False)
    year = date.today().year + 1
    response = client.post(f"/admin/lettres/{item.id}/programmer",
                           data={"send_date": f"{year}-01-13", "send_time": "10:00"})
    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(Campaign, item.id)
    assert item.status == "scheduled"
    assert item.scheduled_at == datetime(year, 1, 13, 9, 0, tzinfo=UTC)  # 10:00 in Paris in winter
    assert services.local_to_utc_or_error(date(year, 7, 7), time(10, 0)) == datetime(year, 7, 7, 8, 0, tzinfo=UTC)


def test_schedule_refuses_the_past_and_nonexistent_times(client: FlaskClient, login: Any) -> None:
    login("editor")
    subscriber("a@example.org", "Anne", "A")
    item = campaign(schedule=False)
    past = client.post(f"/admin/lettres/{item.id}/programmer", data={"send_date": "2020-01-01", "send_time": "10:00"})
    assert past.status_code == 400 and "dans le futur" in past.get_data(as_text=True)
    with pytest.raises(CampaignError, match="heure d'été"):
        services.local_to_utc_or_error(date(2030, 3, 31), time(2, 30))  # the clocks jump from 2:00 to 3:00
    db.session.expire_all()
    assert db.session.get(Campaign, item.id).status == "draft"


def test_nobody_to_send_to_is_refused(app: Flask) -> None:
    item = campaign(schedule=False)
    with pytest.raises(CampaignError, match="Personne ne recevrait"):
        services.schedule(item)


def test_states_and_progress(client: FlaskClient, login: Any, smtp_app: Flask) -> None:
    login("editor")
    recipients = [subscriber(f"s{i}@example.org", f"S{i}", "X") for i in range(3)]
    item = campaign(schedule=False)
    assert client.post(f"/admin/lettres/{item.id}/pause").status_code == 302  # refused: not sending
    db.session.expire_all()
    assert db.session.get(Campaign, item.id).status == "draft"
    client.post(f"/admin/lettres/{item.id}/envoyer")
    services.start_due()
    db.session.commit()
    progress = client.get(f"/admin/lettres/{item.id}/progression.json").get_json()
    assert progress["total"] == 3 and progress["percent"] == 0 and progress["status"] == "sending"
    send_due()
    services.finish_done()
    db.session.commit()
    record(recipients[0], ConsentAction.UNSUBSCRIBE, source="one_click")  # after receiving it
    progress = client.get(f"/admin/lettres/{item.id}/progression.json").get_json()
    assert progress["percent"] == 100 and progress["counts"]["sent"] == 3 and progress["status"] == "sent"
    assert progress["unsubscribed_since"] == 1
    assert "Envoyée" in client.get(f"/admin/lettres/{item.id}").get_data(as_text=True)
    assert client.get(f"/admin/lettres/{item.id}/modifier").status_code == 302  # no longer editable


def test_viewer_reads_but_cannot_act(client: FlaskClient, login: Any) -> None:
    login("viewer")
    subscriber("a@example.org", "Anne", "A")
    item = campaign(schedule=False)
    assert client.get(f"/admin/lettres/{item.id}").status_code == 200
    assert client.post(f"/admin/lettres/{item.id}/envoyer").status_code == 403
    assert client.post("/admin/lettres/nouvelle", data=_form()).status_code == 403


def test_public_archive_and_feed_hold_no_personal_data(client: FlaskClient, smtp_app: Flask) -> None:
    subscriber("anne.secret@example.org", "Annabelle", "Secretdupont")
    item = campaign("Lettre pour {{prenom}}", "Bonjour {{prenom}} {{nom}},\n\nDes nouvelles **publiques**.")
    draft = campaign("Brouillon interne", "Pas encore publié.", schedule=False)
    services.start_due()
    send_due()
    services.finish_done()
    db.session.commit()

    listing = client.get("/lettres/").get_data(as_text=True)
    assert "Lettre pour" in listing and "Brouillon interne" not in listing
    issue = client.get(f"/lettres/{item.id}").get_data(as_text=True)
    assert "<strong>publiques</strong>" in issue
    assert client.get(f"/lettres/{draft.id}").status_code == 404
    feed = client.get("/lettres/feed.atom")
    assert feed.mimetype == "application/atom+xml"
    root = ET.fromstring(feed.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert [e.find("a:title", ns).text for e in entries] == ["Lettre pour"]
    assert "<strong>publiques</strong>" in entries[0].find("a:content", ns).text
    for text in (listing, issue, feed.get_data(as_text=True)):
        for secret in ("Annabelle", "Secretdupont", "anne.secret", "desinscription", "preferences", "%%crm"):
            assert secret not in text
