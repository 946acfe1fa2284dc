"""Scheduler job of the tasks feature (declared in its ``feature``)."""

from __future__ import annotations

import logging

from flask import Flask

from crm.tasks.digest import send_digests

log = logging.getLogger(__name__)


def task_digests(app: Flask) -> int:
    """Each owner's daily digest of overdue and due-today tasks (at most one a day, whatever the runs)."""
    with app.app_context():
        sent = send_digests()
        if sent:
            log.info("sent %d task digest(s)", sent)
        return sent
