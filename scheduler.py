"""The scheduler process: `python scheduler.py` runs forever, `python scheduler.py --once` runs every job once.

The jobs are those the feature packages declare (``Feature.jobs``, crm.extensions), plus the heartbeat. Truth about
what is due lives in the database, never in the job store, so this process can be stopped and started at any
time. It is never started inside web workers.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from crm import create_app
from crm.extensions import Job, declared_jobs
from crm.jobs import heartbeat
from crm.mail.pipeline import request_stop

log = logging.getLogger("crm.scheduler")

HEARTBEAT = Job("heartbeat", heartbeat, {"seconds": 60})


def jobs_of(app: Flask) -> list[Job]:
    """The declarative list of jobs. Ids are fixed: they are replaced, never duplicated, at each start."""
    found = [HEARTBEAT, *declared_jobs(app)]
    ids = [job.id for job in found]
    duplicates = {job_id for job_id in ids if ids.count(job_id) > 1}
    if duplicates:
        raise RuntimeError(f"job ids declared twice: {', '.join(sorted(duplicates))}")
    return found


def run_once(app: Flask, jobs: list[Job] | None = None) -> int:
    failures = 0
    for job in jobs if jobs is not None else jobs_of(app):
        try:
            job.func(app)
        except Exception:
            failures += 1
            log.exception("job %s failed", job.id)
    return failures


def build_scheduler(app: Flask, jobs: list[Job] | None = None,
                    scheduler_class: type[BaseScheduler] = BackgroundScheduler) -> BaseScheduler:
    scheduler = scheduler_class(
        timezone=app.config["TIMEZONE"],
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    for job in jobs if jobs is not None else jobs_of(app):
        scheduler.add_job(job.func, job.trigger, args=[app], id=job.id, name=job.id,
                          replace_existing=True, **job.schedule(app.config))
    return scheduler


def stop_on_signals() -> threading.Event:
    """SIGINT (Ctrl-C) and SIGTERM, once or several times: a sending pass ends after its current batch and the
    returned event is set. The handler only sets flags; the scheduler is shut down by the main thread."""
    stopping = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        if not stopping.is_set():
            log.info("arrêt demandé (%s) : fin du lot en cours, puis arrêt", signal.Signals(signum).name)
        request_stop()
        stopping.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stopping


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Planificateur : envois, relances, purges.")
    parser.add_argument("--once", action="store_true", help="exécuter chaque tâche une fois puis quitter")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s scheduler %(levelname)s %(message)s")
    # The dispatch job runs every few seconds: APScheduler's line per run would drown what matters.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app = create_app()
    stopping = stop_on_signals()
    if args.once:
        return 1 if run_once(app) else 0
    log.info("scheduler started with jobs: %s", ", ".join(job.id for job in jobs_of(app)))
    run_once(app)
    if stopping.is_set():
        return 0
    scheduler = build_scheduler(app)
    scheduler.start()
    while not stopping.wait(timeout=1):
        pass
    scheduler.shutdown(wait=True)  # the running jobs end: a sending pass after its current batch
    log.info("scheduler stopped")
    return 0


def run(argv: list[str] | None = None) -> int:
    status = main(argv)
    # The work is done: a signal arriving while the interpreter winds down (`make run` sends SIGTERM to the
    # whole group right after Ctrl-C) must not turn a clean exit into a killed one.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return status


if __name__ == "__main__":
    sys.exit(run())
