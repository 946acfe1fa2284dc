"""Scheduler jobs of the signup feature (declared in its ``feature``)."""

from __future__ import annotations

import logging

from flask import Flask

from crm.extensions import db
from crm.signup.purge import purge_unconfirmed

log = logging.getLogger(__name__)


def purge_unconfirmed_signups(app: Flask) -> int:
    """Remove signups left unconfirmed longer than SIGNUP_PURGE_AFTER_DAYS (7 by default)."""
    with app.app_context():
        removed = purge_unconfirmed(app.config["SIGNUP_PURGE_AFTER_DAYS"])
        db.session.commit()
        if removed:
            log.info("purged %d unconfirmed signup(s)", removed)
        return removed
