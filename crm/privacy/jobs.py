"""Scheduler job: list stale prospects for review, erase those whose grace period ended."""

from __future__ import annotations

from flask import Flask

from crm.extensions import db
from crm.privacy import retention as service


def retention(app: Flask) -> None:
    with app.app_context():
        flagged = service.flag_for_review()
        purged = service.purge_due()
        db.session.commit()
        app.logger.info("retention: %d prospect(s) listed for review, %d erased", flagged, purged)
