"""Bounce ingest on real bounce messages of several mail servers (flufl.bounce's public test data)."""

from __future__ import annotations

import mailbox
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from crm.bounces.ingest import ingest_maildir
from crm.bounces.models import Bounce
from crm.consent.models import Suppression
from crm.consent.services import email_hash, is_suppressed
from crm.extensions import db
from crm.mail.claims import queue_delivery
from crm.mail.models import Delivery
from tests.factories import sent_to, subscriber

SAMPLES = Path(__file__).parent / "bounces"
PERMANENT = {"userx@example.com", "userx@its.example.nl", "xxxxx@local.ie", "userx@mail1.example.com",
             "userx@example.de"}  # dsn_01, yahoo_01, microsoft_01 (same address), exim, postfix x2, qmail
TEMPORARY = {"userx@example.cz", "userx@example.fi", "userx@example.za"}  # dsn_05, dsn_17, simple_03 (warning)


def _maildir(path: Path, names: list[str], replace: dict[str, str] | None = None) -> str:
    box = mailbox.Maildir(str(path), create=True)
    for name in names:
        box.add(_sample(name, replace))
    return str(path)


def _sample(name: str, replace: dict[str, str] | None = None) -> bytes:
    raw = (SAMPLES / name).read_bytes()
    for old, new in (replace or {}).items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


def _another_report(name: str, n: int) -> bytes:
    """The same failure reported again: a new report (its own Message-ID) about the same address."""
    return _sample(name).replace(b"Message-Id: <", f"Message-Id: <{n}.".encode(), 1)


def test_ingest_suppresses_exactly_the_permanent_failures(app: Flask, tmp_path: Path) -> None:
    for address in PERMANENT | TEMPORARY:  # reports apply only to addresses we wrote to (tests/bounces)
        sent_to(address, days_ago=2)
    db.session.commit()
    path = _maildir(tmp_path / "bounces", sorted(p.name for p in SAMPLES.glob("*.txt")))
    report = ingest_maildir(path)
    assert report.messages == 11 and report.not_bounces == 1  # groupwise_03 is not a bounce
    suppressed = set(db.session.scalars(sa.select(Suppression.email_hash)))
    assert suppressed == {email_hash(address) for address in PERMANENT}
    for address in TEMPORARY:
        assert not is_suppressed(address)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Bounce).where(
            Bounce.email_hash == email_hash(address), Bounce.permanent.is_(False))) == 1
    assert set(report.suppressed) == PERMANENT and set(report.scored) == TEMPORARY

    again = ingest_maildir(path)  # messages are marked seen: nothing is counted twice
    assert again.messages == 0


def test_repeated_temporary_failures_suppress_after_the_threshold(app: Flask, tmp_path: Path) -> None:
    app.config["SOFT_BOUNCE_THRESHOLD"] = 3
    sent_to("userx@example.cz", days_ago=2)
    db.session.commit()
    one = mailbox.Maildir(str(tmp_path / "one"), create=True)
    one.add(_another_report("dsn_05.txt", 1))
    one.add(_another_report("dsn_05.txt", 2))
    ingest_maildir(str(tmp_path / "one"))
    assert not is_suppressed("userx@example.cz")
    mailbox.Maildir(str(tmp_path / "two"), create=True).add(_another_report("dsn_05.txt", 3))
    ingest_maildir(str(tmp_path / "two"))
    assert is_suppressed("userx@example.cz")
    assert db.session.scalar(sa.select(Suppression.reason)) == "hard_bounce"


def test_verp_address_ties_the_bounce_to_its_delivery(app: Flask, tmp_path: Path) -> None:
    app.config["BOUNCE_ADDRESS"] = "retours@example.org"
    contact = subscriber("userx@example.com", "Ugo", "Exemple")
    queue_delivery("campaign", "test:1", contact_id=contact.id)
    delivery = db.session.scalar(sa.select(Delivery))
    delivery.status = "sent"
    db.session.commit()
    verp = f"\nDelivered-To: retours+{delivery.id}@example.org\nX-Was-To: "
    path = _maildir(tmp_path / "verp", ["dsn_01.txt"], replace={"\nTo: ": verp})
    ingest_maildir(path)
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).status == "bounced"
    assert db.session.scalar(sa.select(Bounce.delivery_id)) == delivery.id
    assert is_suppressed("userx@example.com")


def test_cli_reads_a_maildir_and_says_what_it_did(app: Flask, runner: Any, tmp_path: Path) -> None:
    sent_to("xxxxx@local.ie")
    sent_to("userx@example.za")
    db.session.commit()
    path = _maildir(tmp_path / "cli", ["postfix_01.txt", "simple_03.txt"])
    result = runner.invoke(args=["bounces", "ingest", "--maildir", path])
    assert result.exit_code == 0, result.output
    assert "2 message(s) lu(s)" in result.output and "1 adresse(s) exclue(s)" in result.output
    assert is_suppressed("xxxxx@local.ie")


def test_cli_without_a_mailbox_is_refused_in_french(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["bounces", "ingest"])
    assert result.exit_code != 0 and "Aucune boîte de retours configurée" in result.output


def test_a_report_read_again_after_a_stop_counts_once(app: Flask, tmp_path: Path) -> None:
    """The ingest commits a report, then marks it seen: stopped in between, it reads the report again."""
    app.config["SOFT_BOUNCE_THRESHOLD"] = 2
    sent_to("userx@example.cz")
    db.session.commit()
    box = mailbox.Maildir(str(tmp_path / "box"), create=True)
    box.add(_sample("dsn_05.txt"))
    report = ingest_maildir(str(tmp_path / "box"))
    assert report.scored == ["userx@example.cz"]
    # As if the flag had never been written: the same bytes arrive unseen once more.
    mailbox.Maildir(str(tmp_path / "again"), create=True).add(_sample("dsn_05.txt"))
    again = ingest_maildir(str(tmp_path / "again"))
    assert (again.messages, again.already_read, again.scored) == (1, 1, [])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bounce)) == 1
    assert not is_suppressed("userx@example.cz")  # one failure, not the two of the threshold
