"""Jobs through a real Celery worker process on the Redis broker (see conftest)."""

from __future__ import annotations

import os
import signal

import pytest

from core.settings import Settings
from core.storage import jobs
from tasks.celery_app import QUEUE_TASKS, celery_for
from tasks.dispatch import submit, wait_for_job
from tasks.jobs import sweep_stale
from tests.tasks.workers import wait_until

pytestmark = pytest.mark.slow


def test_job_goes_queued_started_succeeded_on_the_cpu_queue(celery_worker_proc,
                                                            distributed_settings: Settings):
    job = submit("ping", {"delay_seconds": 1.0})
    assert job["status"] == "queued" and job["attempts"] == 0  # the row exists before the task
    running = wait_until(lambda: (j := jobs.get_job(job["job_id"]))["status"] == "started" and j)
    assert running["worker"].startswith(celery_worker_proc.hostname)
    done = wait_for_job(job["job_id"], timeout=30)
    assert done["status"] == "succeeded" and done["result"]["pong"] is True
    assert done["result"]["pid"] != os.getpid()  # it ran in the worker, not here


def test_gpu_queue_is_consumed(celery_worker_proc, distributed_settings: Settings):
    """The generic gpu-queue task runs whatever job it is handed (here a ping)."""
    job = jobs.create_job("ping", {}, status="queued")
    celery_for(distributed_settings).send_task(
        QUEUE_TASKS["gpu"], args=[job["job_id"]], queue="gpu", ignore_result=True)
    assert wait_for_job(job["job_id"], timeout=30)["status"] == "succeeded"


def test_killed_worker_child_gets_the_job_redelivered(celery_worker_proc,
                                                      distributed_settings: Settings):
    job = submit("ping", {"delay_seconds": 2.0})
    running = wait_until(lambda: (j := jobs.get_job(job["job_id"]))["status"] == "started" and j)
    pid = int(running["worker"].rsplit(":", 1)[1])
    os.kill(pid, signal.SIGKILL)  # the pool child dies mid-job
    done = wait_for_job(job["job_id"], timeout=60)
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 2
    assert int(done["worker"].rsplit(":", 1)[1]) != pid


def test_soft_time_limit_fails_the_job(celery_worker_proc, distributed_settings: Settings):
    job = jobs.create_job("ping", {"delay_seconds": 5}, status="queued")
    celery_for(distributed_settings).send_task(
        QUEUE_TASKS["cpu"], args=[job["job_id"]], queue="cpu", ignore_result=True,
        soft_time_limit=0.5, time_limit=30)
    done = wait_for_job(job["job_id"], timeout=30)
    assert done["status"] == "failed" and done["error"].startswith("SoftTimeLimitExceeded")


def test_sweep_task_fails_abandoned_jobs(celery_worker_proc, distributed_settings: Settings):
    """A job whose whole worker vanished (no re-delivery yet) is failed by the sweep."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from core.storage.db import session_scope
    from core.storage.models import Job

    job = jobs.create_job("ping", {}, status="queued")
    jobs.claim_job(job["job_id"], status="started", worker="gone@host:1")
    with session_scope() as session:
        session.execute(update(Job).where(Job.id == job["job_id"]).values(
            updated_at=datetime.now(UTC) - timedelta(hours=3)))
    assert job["job_id"] in sweep_stale()
    assert jobs.get_job(job["job_id"])["status"] == "failed"
