"""Failure handling through real worker processes (dedicated workers, see conftest):
a worker process killed in the middle of a training job, and the hard time limit."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from core.settings import Settings
from core.storage import jobs
from tasks.dispatch import submit, wait_for_job
from tests.tasks.workers import wait_until

pytestmark = pytest.mark.slow


def _pid(job: dict) -> int:
    return int(job["worker"].rsplit(":", 1)[1])


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _deliveries(worker, job_id: str) -> int:
    """How many times the worker received the job's Celery message (from its log)."""
    from core.storage.db import session_scope
    from core.storage.models import Job

    with session_scope() as session:
        task_id = session.get(Job, job_id).celery_task_id
    return worker.log_path.read_text(errors="replace").count(f"[{task_id}] received")


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
    running = wait_until(lambda: (j := jobs.get_job(job["job_id"]))["status"] == "started" and j)
    assert running["worker"].startswith(worker.hostname)
    done = wait_for_job(job["job_id"], timeout=30)
    assert done["status"] == "failed", (done, worker.log_tail())
    assert done["error"] == ("TimeLimitExceeded: the job ran past its hard time limit (2 s) "
                             "and its worker process was killed"), done
    assert done["phase"] == "ignored the soft time limit"  # the soft limit came first
    assert done["attempts"] == 1 and done["result"] is None
    assert done["finished_at"] >= done["started_at"]
    wait_until(lambda: _gone(_pid(running)), timeout=15)  # the process that ran it is gone

    # The worker replaced its only pool process and takes the next job.
    nxt = submit("ping", {"delay_seconds": 0})
    after = wait_for_job(nxt["job_id"], timeout=30)
    assert after["status"] == "succeeded", (after, worker.log_tail())
    assert after["worker"].startswith(worker.hostname) and _pid(after) != _pid(running)
    # The timed-out message was acknowledged, not re-queued: it was delivered once.
    wait_until(lambda: _unacked(isolated_settings) == 0, timeout=15)
    assert _deliveries(worker, job["job_id"]) == 1
    assert jobs.get_job(job["job_id"])["attempts"] == 1
    assert worker.proc.poll() is None


# Training: enough steps that an epoch takes about a second on a CPU, so the kill lands
# in the middle of training; tiny data and network.
TRAIN = {"synthetic_samples": 1500, "epochs": 4, "steps_per_epoch": 1500, "batch_size": 32,
         "hidden_dim": 32, "replay_buffer_size": 1000, "seed": 1, "fresh_start": True,
         "background": True}
TRAIN_ORDER = ("initiated", "generating", "training", "evaluating", "publishing", "completed")


class RowSampler:
    """Polls the job row in a thread and keeps every distinct state it saw."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.samples: list[tuple[int, str, float, bool, str | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            row = jobs.get_job(self.job_id)
            sample = (row["attempts"], row["status"], row["progress"], row["finished"],
                      row["error"])
            if not self.samples or self.samples[-1] != sample:
                self.samples.append(sample)
            if row["finished"]:
                return
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def test_worker_process_killed_mid_training_gets_the_job_redelivered(
        worker_factory, isolated_settings: Settings):
    """SIGKILL the process running a training job (what the OOM killer does): with acks_late
    and reject_on_worker_lost its message goes back on the gpu queue, the worker's new
    process runs the job again from the start (training is idempotent: files named after
    the job, fixed seed, atomic publish) and it completes with a published model."""
    from api.app import create_app
    from ml import checkpoint as ckpt

    worker = worker_factory(queues="gpu")  # as deployed: one process, replaced after each job
    model_dir = Path(worker.env["MODEL_CHECKPOINT_PATH"])
    response = create_app(isolated_settings).test_client().post("/train", json=TRAIN)
    assert response.status_code == 202, response.get_json()
    job_id = response.get_json()["training_id"]
    sampler = RowSampler(job_id)
    try:
        running = wait_until(lambda: (j := jobs.get_job(job_id))["status"] == "training"
                              and j["progress"] > 0 and j, timeout=120)
        assert running["attempts"] == 1 and running["progress"] < 1.0
        killed = _pid(running)
        os.kill(killed, signal.SIGKILL)
        done = wait_for_job(job_id, timeout=180)
    finally:
        sampler.stop()

    assert done["status"] == "completed", (done, worker.log_tail())
    assert done["attempts"] == 2 and done["error"] is None and done["progress"] == 1.0
    assert done["worker"].startswith(worker.hostname) and _pid(done) != killed
    assert _gone(killed)
    assert done["started_at"] == running["started_at"]  # the first pick-up's time is kept
    result = done["result"]
    assert result["status"] == "completed" and result["model_version"] == job_id
    assert result["evaluation"]["gate_passed"] is True

    # The published model is the complete checkpoint of this job; no temporary file of an
    # interrupted write is left beside it.
    model = model_dir / ckpt.ACTIVE_NAME
    assert result["artifacts"]["model_checkpoint"] == str(model)
    assert ckpt.load(model)["model_version"] == job_id
    assert sorted(p.name for p in model_dir.iterdir()) == sorted(
        [ckpt.ACTIVE_NAME, ckpt.summary_path(model).name])

    # Coherent states: the guide's vocabulary only; never failed; attempts only grow; within
    # one attempt the status only moves forward; the job finishes once, at the end.
    samples = sampler.samples
    assert {s[1] for s in samples} <= set(TRAIN_ORDER)
    assert [s[0] for s in samples] == sorted(s[0] for s in samples)
    assert {s[0] for s in samples} <= {0, 1, 2} and samples[-1][0] == 2
    for attempt in (1, 2):
        order = [TRAIN_ORDER.index(s[1]) for s in samples if s[0] == attempt]
        assert order == sorted(order), samples
    assert ("training" in {s[1] for s in samples if s[0] == 1}
            and "generating" in {s[1] for s in samples if s[0] == 2})  # it started over
    assert [s[3] for s in samples].index(True) == len(samples) - 1
    assert all(s[4] is None for s in samples)
    assert _deliveries(worker, job_id) == 2
    wait_until(lambda: _unacked(isolated_settings) == 0, timeout=15)  # and then acknowledged
