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
        assert set(jobs) == {spec.id for spec in scheduler.JOBS}
        for job in jobs.values():
            assert job.max_instances == 1 and job.coalesce is True and job.misfire_grace_time
        # Adding the declared jobs again replaces them instead of duplicating.
        for spec in scheduler.JOBS:
            sched.add_job(spec.resolve(), spec.trigger, args=[app], id=spec.id, replace_existing=True,
                          **spec.trigger_args)
        assert len(sched.get_jobs()) == len(scheduler.JOBS)
    finally:
        sched.shutdown(wait=False)


def test_once_runs_every_job_and_exits(tmp_path: Path, database_url: str, app) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "MAILDIR_PATH": str(tmp_path / "outbox"),
           "CRM_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "scheduler.py", "--once"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / HEARTBEAT_FILE).exists()
