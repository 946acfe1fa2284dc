"""Scheduler job of the imports: uploaded files left behind by an unfinished import are deleted."""

from __future__ import annotations

from flask import Flask

from crm.imports.services import purge_stale_uploads


def purge_uploads(app: Flask) -> int:
    with app.app_context():
        removed = purge_stale_uploads()
        if removed:
            app.logger.info("imports: %d stale upload(s) removed", removed)
        return removed
