"""The bounce ingest the scheduler runs where a bounce mailbox is configured."""

from __future__ import annotations

from flask import Flask

from crm.bounces.ingest import MailboxError, ingest_configured


def ingest_bounces(app: Flask) -> None:
    """One ingest; an unreachable or misconfigured mailbox is logged (in French, naming the setting) and
    retried at the next tick instead of stopping the scheduler."""
    with app.app_context():
        try:
            report = ingest_configured()
        except MailboxError as exc:
            app.logger.error("bounces: %s", exc)
            return
        if report is not None and report.messages:
            app.logger.info("bounces: %s message(s), %s suppressed, %s scored, %s unmatched", report.messages,
                            len(report.suppressed), len(report.scored), len(report.unmatched))
