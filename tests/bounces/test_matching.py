"""A bounce report suppresses an address only when it is tied to a delivery we made: by VERP, by the quoted
Message-ID, or (naming only the address) by a mail sent to it within BOUNCE_MATCH_DAYS. Anything else is
counted as unmatched, shown on the bounces page, and changes nothing."""

from __future__ import annotations

import mailbox
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from crm.bounces.ingest import IngestReport, ingest_maildir, process_message
from crm.bounces.models import Bounce
from crm.consent.models import Suppression
from crm.consent.services import is_suppressed
from crm.extensions import db
from crm.mail.models import Delivery
from tests.factories import sent_to, subscriber


def dsn(address: str, *, message_id: str | None = None, to: str = "retours@example.org",
        permanent: bool = True) -> bytes:
    """An RFC 3464 report as a receiving server writes it: about ``address``, quoting the headers of the
    message that failed (with ``message_id`` when given), sent to ``to``."""
    action, status = ("failed", "5.1.1") if permanent else ("delayed", "4.2.2")
    quoted_id = f"Message-ID: {message_id}\n" if message_id else ""
    report_id = abs(hash((address, message_id, to, permanent)))
    text = f"""From: Mail Delivery System <mailer-daemon@mx.example.net>
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: <report-{report_id}@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="XYZ"

--XYZ
Content-Type: text/plain; charset=us-ascii

Your message to {address} could not be delivered.

--XYZ
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {address}
Action: {action}
Status: {status}

--XYZ
Content-Type: text/rfc822-headers

From: territoires-industrie@example.org
To: {address}
Subject: Lettre
{quoted_id}
--XYZ--
"""
    return text.encode("ascii")


def _ingest(raw: bytes) -> IngestReport:
    report = IngestReport()
    process_message(raw, report)
    db.session.commit()
    return report


def _bounce_rows() -> list[tuple[bool, str | None, int | None]]:
    return [tuple(row) for row in db.session.execute(
        sa.select(Bounce.applied, Bounce.matched_by, Bounce.delivery_id).order_by(Bounce.id))]


def test_a_forged_report_about_an_address_we_never_wrote_to_changes_nothing(app: Flask, client: Any,
                                                                         login: Any) -> None:
    app.config["BOUNCE_ADDRESS"] = "retours@example.org"
    subscriber("cible@example.org", "Camille", "Cible")  # on file, subscribed, never mailed
    other = sent_to("autre@example.org", days_ago=1)
    db.session.commit()
    # A bare report, one quoting a Message-ID we never used, and one sent to another delivery's VERP address.
    for raw in (dsn("cible@example.org"), dsn("cible@example.org", message_id="<invente@example.org>"),
                dsn("cible@example.org", to=f"retours+{other.id}@example.org")):
        report = _ingest(raw)
        assert report.unmatched == ["cible@example.org"] and report.suppressed == []
    assert not is_suppressed("cible@example.org")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 0
    assert _bounce_rows() == [(False, None, None)] * 3
    assert db.session.get(Delivery, other.id).status == "sent"
    # Temporary ones are not scored either: three are the threshold, and nothing happens.
    app.config["SOFT_BOUNCE_THRESHOLD"] = 3
    for n in range(3):
        _ingest(dsn("cible@example.org", permanent=False, message_id=f"<t{n}@example.org>"))
    assert not is_suppressed("cible@example.org")

    login("viewer")
    page = client.get("/admin/retours/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<td id="unmatched-count">6</td>' in text and '<td id="unmatched-total">6</td>' in text


def test_a_report_quoting_our_message_id_applies(app: Flask) -> None:
    delivery = sent_to("anne.lefort@example.org", days_ago=90)  # too old for the address alone
    message_id = delivery.message_id
    db.session.commit()
    assert _ingest(dsn("anne.lefort@example.org")).unmatched == ["anne.lefort@example.org"]
    assert not is_suppressed("anne.lefort@example.org")

    report = _ingest(dsn("anne.lefort@example.org", message_id=message_id))
    assert report.suppressed == ["anne.lefort@example.org"] and report.unmatched == []
    assert is_suppressed("anne.lefort@example.org")
    assert _bounce_rows()[-1] == (True, "message_id", delivery.id)
    assert db.session.get(Delivery, delivery.id).status == "bounced"


def test_our_message_id_quoted_about_another_address_is_not_enough(app: Flask) -> None:
    delivery = sent_to("anne.lefort@example.org", days_ago=1)
    db.session.commit()
    report = _ingest(dsn("bruno.morel@example.org", message_id=delivery.message_id))
    assert report.unmatched == ["bruno.morel@example.org"] and not is_suppressed("bruno.morel@example.org")


def test_a_report_sent_back_to_the_delivery_verp_address_applies(app: Flask) -> None:
    app.config["BOUNCE_ADDRESS"] = "retours@example.org"
    delivery = sent_to("anne.lefort@example.org", days_ago=200)
    db.session.commit()
    report = _ingest(dsn("anne.lefort@example.org", to=f"retours+{delivery.id}@example.org"))
    assert report.suppressed == ["anne.lefort@example.org"]
    assert _bounce_rows() == [(True, "verp", delivery.id)]


def test_an_address_only_report_applies_within_the_window_and_not_after(app: Flask, tmp_path: Path) -> None:
    assert app.config["BOUNCE_MATCH_DAYS"] == 30
    within = sent_to("recent@example.org", days_ago=29)
    sent_to("ancien@example.org", days_ago=31)
    db.session.commit()
    box = mailbox.Maildir(str(tmp_path / "box"), create=True)
    box.add(dsn("recent@example.org"))
    box.add(dsn("ancien@example.org"))
    report = ingest_maildir(str(tmp_path / "box"))
    assert report.suppressed == ["recent@example.org"] and report.unmatched == ["ancien@example.org"]
    assert is_suppressed("recent@example.org") and not is_suppressed("ancien@example.org")
    rows = {row.delivery_id: (row.applied, row.matched_by) for row in db.session.scalars(sa.select(Bounce))}
    assert rows == {within.id: (True, "address"), None: (False, None)}
    # The address alone does not say which mail bounced: the delivery keeps its status.
    assert db.session.get(Delivery, within.id).status == "sent"


def test_the_window_is_a_setting(app: Flask) -> None:
    app.config["BOUNCE_MATCH_DAYS"] = 60
    sent_to("ancien@example.org", days_ago=31)
    db.session.commit()
    assert _ingest(dsn("ancien@example.org")).suppressed == ["ancien@example.org"]


def test_a_queued_delivery_never_sent_ties_nothing(app: Flask) -> None:
    app.config["BOUNCE_ADDRESS"] = "retours@example.org"
    delivery = sent_to("anne.lefort@example.org", days_ago=1)
    delivery.status, delivery.sent_at = "queued", None
    db.session.commit()
    report = _ingest(dsn("anne.lefort@example.org", to=f"retours+{delivery.id}@example.org",
                         message_id=delivery.message_id))
    assert report.unmatched == ["anne.lefort@example.org"] and not is_suppressed("anne.lefort@example.org")
