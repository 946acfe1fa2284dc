from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler

import scheduler
from crm.jobs import HEARTBEAT_FILE

ROOT = Path(__file__).resolve().parent.parent


def test_jobs_are_declared_with_fixed_ids_and_safe_defaults(app) -> None:
    sched = scheduler.build_scheduler(app, scheduler_class=BackgroundScheduler)
    sched.start(paused=True)
    try:
        jobs = {job.id: job for job in sched.get_jobs()}
        declared = scheduler.jobs_of(app)
        assert set(jobs) == {spec.id for spec in declared}
        assert {"heartbeat", "dispatch", "retry_deliveries", "bounce_ingest", "signup_purge", "event_reminders",
                "privacy_retention", "import_uploads_purge"} <= set(jobs)
        for job in jobs.values():
            assert job.max_instances == 1 and job.coalesce is True and job.misfire_grace_time
        # The dispatch job follows its setting: mail asked for is sent within seconds.
        assert jobs["dispatch"].trigger.interval.total_seconds() == app.config["SCHEDULER_TICK_SECONDS"] == 5
        # Adding the declared jobs again replaces them instead of duplicating.
        for spec in declared:
            sched.add_job(spec.func, spec.trigger, args=[app], id=spec.id, replace_existing=True,
                          **spec.schedule(app.config))
        assert len(sched.get_jobs()) == len(declared)
    finally:
        sched.shutdown(wait=False)


def test_once_runs_every_job_and_exits(tmp_path: Path, database_url: str, app) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "MAILDIR_PATH": str(tmp_path / "outbox"),
           "CRM_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "scheduler.py", "--once"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / HEARTBEAT_FILE).exists()
