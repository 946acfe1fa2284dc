"""The scheduler process: `python scheduler.py` runs forever, `python scheduler.py --once` runs every job once.

Truth about what is due lives in the database, never in the job store, so this process can be stopped and
started at any time. It is never started inside web workers.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from crm import create_app

log = logging.getLogger("crm.scheduler")


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str  # "module:function", called with the app
    trigger: str = "interval"
    trigger_args: dict[str, Any] = field(default_factory=dict)

    def resolve(self) -> Callable[[Flask], None]:
        module, name = self.func.split(":")
        return getattr(importlib.import_module(module), name)


# The declarative list of jobs. Ids are fixed: they are replaced, never duplicated, at each start.
JOBS: list[JobSpec] = [
    JobSpec("heartbeat", "crm.jobs:heartbeat", trigger_args={"seconds": 60}),
    JobSpec("dispatch", "crm.campaigns.jobs:dispatch_tick", trigger_args={"seconds": 30}),
    JobSpec("retry_deliveries", "crm.campaigns.jobs:retry_deferred", trigger_args={"minutes": 5}),
    JobSpec("bounce_ingest", "crm.bounces.jobs:ingest_bounces", trigger_args={"minutes": 15}),
    JobSpec("signup_purge", "crm.signup.jobs:purge_unconfirmed_signups", trigger_args={"hours": 1}),
    JobSpec("event_reminders", "crm.events.jobs:sync_reminders", trigger_args={"hours": 1}),
    JobSpec("privacy_retention", "crm.privacy.jobs:retention", trigger_args={"hours": 24}),
]


def run_once(app: Flask, jobs: list[JobSpec] = JOBS) -> int:
    failures = 0
    for job in jobs:
        try:
            job.resolve()(app)
        except Exception:
            failures += 1
            log.exception("job %s failed", job.id)
    return failures


def build_scheduler(app: Flask, jobs: list[JobSpec] = JOBS,
                    scheduler_class: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    scheduler = scheduler_class(
        timezone=app.config["TIMEZONE"],
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    for job in jobs:
        scheduler.add_job(job.resolve(), job.trigger, args=[app], id=job.id, name=job.id,
                          replace_existing=True, **job.trigger_args)
    return scheduler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Planificateur : envois, relances, purges.")
    parser.add_argument("--once", action="store_true", help="exécuter chaque tâche une fois puis quitter")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s scheduler %(levelname)s %(message)s")
    app = create_app()
    if args.once:
        return 1 if run_once(app) else 0
    scheduler = build_scheduler(app)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log.info("scheduler started with jobs: %s", ", ".join(job.id for job in JOBS))
    run_once(app)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
