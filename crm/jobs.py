"""The functions the scheduler runs. Each opens an app context and calls services; each is safe to run twice."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from crm.db import utcnow

HEARTBEAT_FILE = "scheduler.heartbeat"


def heartbeat(app: Flask) -> None:
    """Records that the scheduler is alive; the dashboard shows when it last ticked."""
    with app.app_context():
        Path(app.instance_path, HEARTBEAT_FILE).write_text(utcnow().isoformat())
