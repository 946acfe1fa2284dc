"""The sender as its own process (`python scheduler.py --once`), with two SMTP connections: killed
mid-campaign, and two at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from crm.campaigns import services as campaigns
from crm.campaigns.models import Campaign
from crm.extensions import db
from crm.mail.models import Delivery
from tests.factories import bulk_subscribers, campaign
from tests.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 2000
BATCH = 50


def _scheduler_once(app: Flask, sink: SmtpSink, tmp_path: Path, *, once: bool = True,
                    **extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "MAIL_SERVER": sink.host,
           "MAIL_PORT": str(sink.port), "SEND_RATE_PER_SECOND": "0", "SEND_RATE_PER_HOUR": "0",
           "SEND_BATCH_SIZE": str(BATCH), "MAIL_MAX_CONNECTIONS": "2", "CRM_INSTANCE_PATH": str(tmp_path / "instance"),
           "SECRET_KEY": "test-secret", "BASE_URL": "http://localhost", **extra}
    tmp_path.mkdir(parents=True, exist_ok=True)
    log = tmp_path / f"scheduler-{time.monotonic_ns()}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "scheduler.py", *(["--once"] if once else [])], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    process.log = log  # type: ignore[attr-defined]
    return process


def _wait(process: subprocess.Popen[bytes]) -> None:
    process.wait(timeout=120)
    assert process.returncode == 0, process.log.read_text()[-3000:]  # type: ignore[attr-defined]


@pytest.mark.slow
def test_sender_killed_mid_campaign_then_restarted(smtp_app: Flask, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    bulk_subscribers(RECIPIENTS)
    item = campaign()
    db.session.commit()

    first = _scheduler_once(smtp_app, smtp_sink, tmp_path)
    deadline = time.monotonic() + 60
    while len(smtp_sink.received) < RECIPIENTS // 4 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait()
    received_before_restart = len(smtp_sink.received)
    assert 0 < received_before_restart < RECIPIENTS, "the kill must land in the middle of the campaign"

    # The restarted sender takes back the dead one's claims (lease 0 here: it is known to be dead).
    _wait(_scheduler_once(smtp_app, smtp_sink, tmp_path, SEND_LEASE_SECONDS="0"))

    counts = Counter(smtp_sink.recipients())
    assert set(counts) == {f"abonne{i}@example.org" for i in range(RECIPIENTS)}
    twice = [address for address, n in counts.items() if n > 1]
    assert len(twice) <= BATCH and max(counts.values()) <= 2
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(Delivery.campaign_id == item.id,
                                                              Delivery.status == "sent")) == RECIPIENTS
    assert db.session.get(Campaign, item.id).status == "sent"


@pytest.mark.slow
def test_scheduler_stopped_by_signals_ends_its_batch_and_exits_cleanly(smtp_app: Flask, smtp_sink: SmtpSink,
                                                                        tmp_path: Path) -> None:
    """What `make run` does on Ctrl-C: SIGINT, then SIGTERM to the whole group at once."""
    bulk_subscribers(RECIPIENTS)
    item = campaign()
    db.session.commit()
    smtp_sink.on_message = lambda count: time.sleep(0.002)  # a relay slow enough to be caught mid-campaign

    running = _scheduler_once(smtp_app, smtp_sink, tmp_path, once=False)
    deadline = time.monotonic() + 60
    while len(smtp_sink.received) < RECIPIENTS // 4 and time.monotonic() < deadline and running.poll() is None:
        time.sleep(0.01)
    os.killpg(running.pid, signal.SIGINT)  # to the group, as a terminal and `make run` do: the SMTP child too
    os.killpg(running.pid, signal.SIGTERM)
    _wait(running)
    log = running.log.read_text()  # type: ignore[attr-defined]
    assert "arrêt demandé (SIGINT)" in log and "Traceback" not in log

    received = len(smtp_sink.received)
    assert RECIPIENTS // 4 <= received <= RECIPIENTS // 4 + 2 * BATCH, "the pass stops after its current batch"
    db.session.expire_all()
    statuses = Counter(db.session.scalars(sa.select(Delivery.status).where(Delivery.campaign_id == item.id)))
    assert statuses == {"sent": received, "queued": RECIPIENTS - received}  # nothing left claimed
    assert db.session.get(Campaign, item.id).status == "sending"

    smtp_sink.on_message = None
    _wait(_scheduler_once(smtp_app, smtp_sink, tmp_path))  # no lease to wait for: the stop left no claim
    counts = Counter(smtp_sink.recipients())
    assert len(counts) == RECIPIENTS and max(counts.values()) == 1
    db.session.expire_all()
    assert db.session.get(Campaign, item.id).status == "sent"


@pytest.mark.slow
def test_two_senders_at_once_on_postgresql(postgres_only: None, smtp_app: Flask, smtp_sink: SmtpSink,
                                           tmp_path: Path) -> None:
    bulk_subscribers(RECIPIENTS)
    item = campaign()
    campaigns.start_due()  # materialised here, so both processes only send
    db.session.commit()

    senders = [_scheduler_once(smtp_app, smtp_sink, tmp_path / str(n)) for n in range(2)]
    for sender in senders:
        _wait(sender)

    counts = Counter(smtp_sink.recipients())
    assert len(counts) == RECIPIENTS and max(counts.values()) == 1
    assert sum(counts.values()) == RECIPIENTS
    db.session.expire_all()
    assert db.session.get(Campaign, item.id).status == "sent"
    assert {row.mail_from for row in smtp_sink.received}  # both connected to the same relay
