"""Failure handling through real worker processes (dedicated workers, see conftest):
a worker process killed in the middle of a training job, and the hard time limit."""

from __future__ import annotations

import os
import time

import pytest

from core.settings import Settings
from core.storage import jobs
from tasks.dispatch import submit, wait_for_job

pytestmark = pytest.mark.slow


def _wait_until(predicate, timeout: float = 60.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def _pid(job: dict) -> int:
    return int(job["worker"].rsplit(":", 1)[1])


def _unacked(settings: Settings) -> int:
    """Messages the broker still holds for a consumer (kombu's Redis ``unacked`` hash)."""
    import redis

    client = redis.Redis.from_url(str(settings.REDIS_URL))
    try:
        return client.hlen(f"{settings.REDIS_KEY_PREFIX}:unacked")
    finally:
        client.close()


def test_hard_time_limit_fails_the_job_and_the_worker_serves_the_next(
        worker_factory, isolated_settings: Settings):
    worker = worker_factory(queues="cpu", concurrency=1)
    # "overrun" (tests/tasks/workers.py) swallows its 1 s soft limit; the 2 s hard limit
    # kills the pool process.
    job = submit("overrun", {"seconds": 30})
    running = _wait_until(lambda: (j := jobs.get_job(job["job_id"]))["status"] == "started" and j)
    assert running["worker"].startswith(worker.hostname)
    done = wait_for_job(job["job_id"], timeout=30)
    assert done["status"] == "failed", (done, worker.log_tail())
    assert done["error"] == ("TimeLimitExceeded: the job ran past its hard time limit (2 s) "
                             "and its worker process was killed"), done
    assert done["phase"] == "ignored the soft time limit"  # the soft limit came first
    assert done["attempts"] == 1 and done["result"] is None
    assert done["finished_at"] >= done["started_at"]
    with pytest.raises(ProcessLookupError):  # the process that ran it is gone
        os.kill(_pid(running), 0)

    # The worker replaced its only pool process and takes the next job.
    nxt = submit("ping", {"delay_seconds": 0})
    after = wait_for_job(nxt["job_id"], timeout=30)
    assert after["status"] == "succeeded", (after, worker.log_tail())
    assert after["worker"].startswith(worker.hostname) and _pid(after) != _pid(running)
    # The timed-out message was acknowledged, not re-queued: nothing runs it again.
    assert _unacked(isolated_settings) == 0
    assert jobs.get_job(job["job_id"])["attempts"] == 1
    assert worker.proc.poll() is None

