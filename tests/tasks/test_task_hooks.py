"""JobTask.on_failure: what Celery calls in the worker's parent when the hard time limit
kills the child (celery/worker/request.py, Request.on_timeout), called directly here.
Through a real worker, with a job that ignores its soft limit: test_worker_failures.py."""

from __future__ import annotations

from celery.exceptions import TimeLimitExceeded

from core.settings import Settings
from core.storage import jobs
from tasks.jobs import run_cpu_job


def test_hard_time_limit_hook_fails_the_unfinished_job(sqlite_settings: Settings):
    job = jobs.create_job("ping", {}, status="queued")
    jobs.claim_job(job["job_id"], status="started", worker="w:1")
    run_cpu_job.on_failure(TimeLimitExceeded(3600), "task-id", [job["job_id"]], {}, None)
    done = jobs.get_job(job["job_id"])
    assert done["status"] == "failed" and done["error"] == (
        "TimeLimitExceeded: the job ran past its hard time limit (3600 s) and its worker "
        "process was killed")


def test_hook_leaves_finished_jobs_alone(sqlite_settings: Settings):
    job = jobs.create_job("ping", {}, status="queued")
    jobs.finish_job(job["job_id"], status="succeeded", result={"ok": True})
    run_cpu_job.on_failure(RuntimeError("late"), "task-id", [job["job_id"]], {}, None)
    assert jobs.get_job(job["job_id"])["status"] == "succeeded"
