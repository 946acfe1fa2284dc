"""The bounce ingest the scheduler runs where a bounce mailbox is configured."""

from __future__ import annotations

from flask import Flask

from crm.bounces.ingest import ingest_configured


def ingest_bounces(app: Flask) -> None:
    with app.app_context():
        report = ingest_configured()
        if report is not None and report.messages:
            app.logger.info("bounces: %s message(s), %s suppressed, %s scored", report.messages,
                            len(report.suppressed), len(report.scored))
