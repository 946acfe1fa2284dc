"""Scheduler jobs of the sending pipeline. Each opens an app context; each is safe to run in two scheduler
processes at once (deliveries are taken by claims).

Features prepare what is due before a pass (``mail.before_send`` hooks: due campaigns are materialised) and
settle what a pass finished (``mail.after_send`` hooks: campaigns with nothing left are marked sent).

The dispatch job runs every few seconds (``SCHEDULER_TICK_SECONDS``): when idle it costs ONE query, which asks
whether a delivery is due or a feature has work waiting (``mail.work_due`` hooks: an SQL condition, e.g. a letter
whose sending time has come). Only then does the full pass run.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from crm.db import utcnow
from crm.extensions import db
from crm.extensions import hooks
from crm.mail import claims
from crm.mail.pipeline import SendReport, send_due, take_back_stale_claims

BEFORE_SEND_HOOK = "mail.before_send"
AFTER_SEND_HOOK = "mail.after_send"
WORK_DUE_HOOK = "mail.work_due"


def work_due() -> bool:
    """One query: is a delivery due, or does a feature have work waiting (``mail.work_due`` hooks)?"""
    now = utcnow()
    due = [sa.exists().where(*claims.claimable(now)), *(condition(now) for condition in hooks(WORK_DUE_HOOK))]
    found = bool(db.session.scalar(sa.select(sa.or_(*due))))
    db.session.commit()  # ends the read transaction: an idle scheduler holds no snapshot open
    return found


def _pass() -> SendReport:
    for prepare in hooks(BEFORE_SEND_HOOK):
        prepare()
    db.session.commit()
    report = send_due()
    for settle in hooks(AFTER_SEND_HOOK):
        settle()
    db.session.commit()
    return report


def dispatch(app: Flask) -> None:
    """What is due is prepared, then every due delivery (of any kind) is sent; when nothing is, one query."""
    with app.app_context():
        if not work_due():
            return
        report = _pass()
        if report.sent or report.stopped:
            app.logger.info("dispatch: %s sent, %s deferred, %s failed, %s skipped%s", report.sent,
                            report.deferred, report.failed, report.skipped,
                            f" (stopped: {report.stopped})" if report.stopped else "")


def retry_deferred(app: Flask) -> None:
    """Claims of dead senders go back to the queue, and deliveries whose retry time has come are sent."""
    with app.app_context():
        take_back_stale_claims(app.config["SEND_LEASE_SECONDS"])
        db.session.commit()
        _pass()
