"""Scheduler job: list stale prospects for review, erase those whose grace period ended, drop old uploads."""

from __future__ import annotations

from flask import Flask

from crm.extensions import db


def retention(app: Flask) -> None:
    from crm.imports.services import purge_stale_uploads
    from crm.privacy import retention as service

    with app.app_context():
        flagged = service.flag_for_review()
        purged = service.purge_due()
        db.session.commit()
        purge_stale_uploads()
        app.logger.info("retention: %d prospect(s) listed for review, %d erased", flagged, purged)
