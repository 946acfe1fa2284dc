"""Link statistics that track no one: a letter's outside links go through /l/<letter>/<link>, which counts and
redirects; a forged or foreign target is refused; personal links are left alone; nothing says who clicked."""

from __future__ import annotations

import logging
import re
from typing import Any

import sqlalchemy as sa
from flask import Flask

import scheduler
from crm.campaigns import links
from crm.campaigns.models import CampaignLink
from crm.extensions import db
from crm.partners.models import Contact
from tests.factories import campaign, subscriber
from tests.smtp_sink import SmtpSink

BODY = ("Bonjour {{prenom}},\n\nLisez [le dossier](https://example.com/dossier?a=1&b=2) et "
        "[le programme](https://www.example.net/programme).\n\nEncore [le dossier](https://example.com/dossier?a=1&b=2)"
        " et [notre page](http://localhost/lettres/).")
REDIRECT = re.compile(r'href="(http://localhost/l/(\d+)/(\d+))"')


def _send(app: Flask) -> None:
    db.session.commit()
    assert scheduler.run_once(app) == 0
    db.session.expire_all()


def _html(message: Any) -> str:
    part = message.get_body(("html",))
    return part.get_content()


def test_links_are_counted_per_link_and_letter_and_redirect(smtp_app: Flask, smtp_sink: SmtpSink,
                                                            client: Any, login: Any) -> None:
    subscriber("alice@example.org", "Alice", "A")
    subscriber("bruno@example.org", "Bruno", "B")
    item = campaign("Lettre", BODY)
    _send(smtp_app)

    alice, bruno = sorted(smtp_sink.messages(), key=lambda m: m["To"])
    found = REDIRECT.findall(_html(alice))
    # Two outside links, each once per letter; the same address for every recipient (nothing personal in it).
    assert len({url for url, _c, _l in found}) == 2
    assert REDIRECT.findall(_html(bruno)) == found
    assert all(int(c) == item.id for _u, c, _l in found)
    html = _html(alice)
    assert "https://example.com/dossier" not in html and "http://localhost/lettres/" in html  # own site: as is
    # The personal links of the footer keep their signed addresses.
    from crm.signup.links import preferences_url

    person = db.session.scalar(sa.select(Contact).where(Contact.email == "alice@example.org"))
    # The same signed value for the same person (the token's date, to the second, is when it was made).
    assert preferences_url(person).rsplit(".", 2)[0] + "." in html
    assert "List-Unsubscribe" in alice and "/l/" not in alice["List-Unsubscribe"]
    text = alice.get_body(("plain",)).get_content()
    assert "http://localhost/l/" in text

    dossier = db.session.scalar(sa.select(CampaignLink).where(CampaignLink.url == "https://example.com/dossier?a=1&b=2"))
    answer = client.get(f"/l/{item.id}/{dossier.id}")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "https://example.com/dossier?a=1&b=2"
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in answer.headers
    assert client.head(f"/l/{item.id}/{dossier.id}").status_code == 302  # a link checker's HEAD: not counted
    db.session.expire_all()
    assert db.session.get(CampaignLink, dossier.id).clicks == 1  # counted once
    client.get(f"/l/{item.id}/{dossier.id}")
    db.session.expire_all()
    rows, total = links.statistics(item)
    assert [(row.url, row.clicks) for row in rows] == [("https://example.com/dossier?a=1&b=2", 2),
                                                       ("https://www.example.net/programme", 0)]
    assert total == 2

    login("admin")
    page = client.get(f"/admin/lettres/{item.id}").get_data(as_text=True)
    assert "Clics sur les liens" in page and "https://www.example.net/programme" in page
    assert 'data-clicks-total>2<' in page
    register = client.get("/admin/rgpd/").get_data(as_text=True)
    assert "Mesure d&#39;audience de la lettre (clics sur les liens)" in register
    assert "Rien sur qui a cliqué" in register


def test_forged_or_foreign_targets_are_refused(smtp_app: Flask, smtp_sink: SmtpSink, client: Any) -> None:
    subscriber("alice@example.org", "Alice", "A")
    first = campaign("Première", "[A](https://example.com/a)")
    _send(smtp_app)
    second = campaign("Seconde", "[B](https://example.com/b)")
    _send(smtp_app)
    link_a = db.session.scalar(sa.select(CampaignLink.id).where(CampaignLink.campaign_id == first.id))
    link_b = db.session.scalar(sa.select(CampaignLink.id).where(CampaignLink.campaign_id == second.id))
    assert client.get(f"/l/{first.id}/{link_a}").status_code == 302  # its own link: allowed
    assert client.get(f"/l/{first.id}/{link_b}").status_code == 404  # another letter's link
    assert client.get(f"/l/{first.id}/999999").status_code == 404
    assert client.get(f"/l/{first.id}/{link_a}?url=https://evil.example").headers["Location"] == "https://example.com/a"
    assert client.get("/l/x/https://evil.example").status_code == 404
    db.session.expire_all()
    assert db.session.get(CampaignLink, link_b).clicks == 0


def test_no_table_holds_who_clicked(smtp_app: Flask, smtp_sink: SmtpSink, client: Any) -> None:
    subscriber("alice@example.org", "Alice", "A")
    item = campaign("Lettre", "[A](https://example.com/a)")
    _send(smtp_app)
    link_id = db.session.scalar(sa.select(CampaignLink.id))
    tables_before = {name: _count(name) for name in sa.inspect(db.engine).get_table_names()}
    client.get(f"/l/{item.id}/{link_id}", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    columns = {column["name"] for column in sa.inspect(db.engine).get_columns("campaign_links")}
    assert columns == {"id", "campaign_id", "url", "position", "clicks"}
    foreign = {fk["referred_table"] for fk in sa.inspect(db.engine).get_foreign_keys("campaign_links")}
    assert foreign == {"campaigns"}
    # The click changed one counter and added no row anywhere (no log of clicks, no session).
    assert {name: _count(name) for name in tables_before} == tables_before
    db.session.expire_all()
    rows = db.session.execute(sa.select(CampaignLink.__table__)).mappings().all()
    assert [dict(row) for row in rows] == [{"id": link_id, "campaign_id": item.id, "url": "https://example.com/a",
                                            "position": 0, "clicks": 1}]
    assert not any("203.0.113.9" in str(value) for row in rows for value in row.values())


def _count(table: str) -> int:
    return db.session.scalar(sa.text(f'SELECT COUNT(*) FROM "{table}"'))


def test_the_access_log_line_of_the_route_has_no_address() -> None:
    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, '203.0.113.9 - - [30/Nov/2026] "%s" %s %s\n',
                               ('GET /l/1/2 HTTP/1.1', "302", "-"), None)
    other = logging.LogRecord("werkzeug", logging.INFO, "", 0, '203.0.113.9 - - [30/Nov/2026] "%s" %s %s\n',
                              ('GET /admin/ HTTP/1.1', "200", "-"), None)
    log_filter = links._NoClientAddress()
    assert log_filter.filter(record) and log_filter.filter(other)
    assert "203.0.113.9" not in record.getMessage() and record.getMessage().startswith("- - ")
    assert "203.0.113.9" in other.getMessage()


def test_a_test_message_and_the_preview_are_not_counted(app: Flask, outbox: list[Any]) -> None:
    from crm.campaigns import content, services

    subscriber("alice@example.org", "Alice", "A")
    item = campaign("Lettre", "[A](https://example.com/a)", schedule=False)
    services.send_test(item, "cheffe@example.org")
    db.session.commit()
    assert "https://example.com/a" in outbox[0].html and "/l/" not in outbox[0].html
    html, _text = content.preview(item)
    assert "/l/" not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignLink)) == 0
