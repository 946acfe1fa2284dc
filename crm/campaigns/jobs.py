"""Scheduler jobs for campaigns and the sending pipeline. Each opens an app context; each is safe to run in two
scheduler processes at once (campaigns are taken by a conditional UPDATE, deliveries by claims)."""

from __future__ import annotations

from flask import Flask

from crm.campaigns import services
from crm.extensions import db
from crm.mail.pipeline import send_due, take_back_stale_claims


def dispatch_tick(app: Flask) -> None:
    """Due campaigns are materialised and set sending; then every due delivery (of any kind) is sent."""
    with app.app_context():
        services.start_due()
        report = send_due()
        services.finish_done()
        db.session.commit()
        if report.sent or report.stopped:
            app.logger.info("dispatch: %s sent, %s deferred, %s failed, %s skipped%s", report.sent,
                            report.deferred, report.failed, report.skipped,
                            f" (stopped: {report.stopped})" if report.stopped else "")


def retry_deferred(app: Flask) -> None:
    """Claims of dead senders go back to the queue, and deliveries whose retry time has come are sent."""
    with app.app_context():
        take_back_stale_claims(app.config["SEND_LEASE_SECONDS"])
        db.session.commit()
        send_due()
        services.finish_done()
        db.session.commit()
