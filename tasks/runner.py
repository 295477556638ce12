"""Run one job by id: the same code path for a Celery worker and the embedded executor.

The runner loads the job row, imports its kind's function, moves the row through the
kind's statuses, hands the function a ``Progress`` callback that writes phase, progress
and status to the row (throttled), and stores the result or a one-line error. The full
traceback goes to the log, never to the row or the API.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time
from typing import Any

from core.storage import jobs as job_store
from tasks.registry import FAILED, get_kind

log = logging.getLogger("velox.tasks.runner")

# A job picked up more often than this was re-delivered after its worker died each time:
# most likely the job itself kills the worker (memory, a crash); stop retrying.
MAX_ATTEMPTS = 3
PROGRESS_MIN_INTERVAL = 0.5  # seconds between progress writes, status changes excepted


def one_line_error(exc: BaseException) -> str:
    """``Type: message`` on one line, bounded; what the API shows for a failed job."""
    text = " ".join(str(exc).split()) or "(no message)"
    line = f"{type(exc).__name__}: {text}"
    return line if len(line) <= 500 else line[:497] + "..."


class JobProgress:
    """The ``Progress`` callback handed to job functions: writes to the job row.

    Writes are throttled to one per ``min_interval`` seconds; a status change is written
    at once. ``flush()`` writes whatever is pending.
    """

    def __init__(self, job_id: str, *, url: str | None = None,
                 min_interval: float = PROGRESS_MIN_INTERVAL) -> None:
        self.job_id = job_id
        self.url = url
        self.min_interval = min_interval
        self._pending: dict[str, Any] = {}
        self._last_write = 0.0
        self._lock = threading.Lock()
        self.writes = 0

    def __call__(self, *, phase: str | None = None, progress: float | None = None,
                 status: str | None = None) -> None:
        with self._lock:
            if phase is not None:
                self._pending["phase"] = phase
            if progress is not None:
                self._pending["progress"] = progress
            if status is not None:
                self._pending["status"] = status
            due = time.monotonic() - self._last_write >= self.min_interval
            if status is not None or due:
                self._write()

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self._write()

    def _write(self) -> None:
        pending, self._pending = self._pending, {}
        self._last_write = time.monotonic()
        self.writes += 1
        try:
            job_store.update_job(self.job_id, url=self.url, **pending)
        except Exception:  # progress is advisory: a failed write must not kill the job
            log.warning("job %s: could not record progress", self.job_id, exc_info=True)


def json_safe(value: Any) -> Any:
    """Tuples become lists and NaN/inf become None (JSON columns and PostgreSQL reject them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def execute_job(job_id: str, *, worker: str | None = None, url: str | None = None) -> dict[str, Any]:
    """Run job ``job_id`` to a final status and return ``{"job_id", "status", ...}``.

    Safe to call again for the same job (a re-delivered message): a finished job is left
    alone; an unfinished one is run again, up to ``MAX_ATTEMPTS`` pick-ups.
    """
    job = job_store.get_job(job_id, url=url)
    if job is None:
        log.warning("job %s: no such job row; message dropped", job_id)
        return {"job_id": job_id, "status": "missing"}
    if job["finished"]:
        log.info("job %s: already %s; nothing to do", job_id, job["status"])
        return {"job_id": job_id, "status": job["status"], "skipped": True}

    try:
        kind = get_kind(job["kind"])
    except KeyError as exc:
        job_store.finish_job(job_id, status=FAILED, error=str(exc), url=url)
        return {"job_id": job_id, "status": FAILED}

    claimed = job_store.claim_job(
        job_id, status=kind.running_status, worker=worker or default_worker_name(), url=url
    )
    if claimed is None:  # finished between the two reads
        return {"job_id": job_id, "status": "skipped", "skipped": True}
    if claimed["attempts"] > MAX_ATTEMPTS:
        error = (f"gave up after {MAX_ATTEMPTS} attempts: the worker was lost each time "
                 "(out of memory or a crash?)")
        job_store.finish_job(job_id, status=FAILED, error=error, url=url)
        log.error("job %s: %s", job_id, error)
        return {"job_id": job_id, "status": FAILED}
    if claimed["attempts"] > 1:
        # The previous attempt's process died mid-job (the message came back because of
        # acks_late + reject_on_worker_lost): the job starts over, and so does its progress.
        log.warning("job %s: re-delivered, attempt %d", job_id, claimed["attempts"])
        job_store.update_job(job_id, progress=0.0, url=url,
                             phase=f"restarted: attempt {claimed['attempts']} of {MAX_ATTEMPTS} "
                                   "(the previous worker process was lost)")

    progress = JobProgress(job_id, url=url)
    started = time.monotonic()
    try:
        fn = kind.load()
        result = fn(dict(job["params"] or {}), progress)
        if not isinstance(result, dict):
            raise TypeError(f"job function {kind.target} returned {type(result).__name__}, "
                            "not a dict")
        result = json_safe(result)
        json.dumps(result, allow_nan=False)  # TypeError now rather than a stuck row later
    except Exception as exc:  # includes Celery's SoftTimeLimitExceeded
        log.exception("job %s (%s) failed", job_id, kind.name)
        progress.flush()
        job_store.finish_job(job_id, status=FAILED, error=one_line_error(exc), url=url)
        return {"job_id": job_id, "status": FAILED}

    progress.flush()
    status = result.get("status")
    if not isinstance(status, str) or status not in kind.final_statuses:
        status = kind.success_status
    job_store.finish_job(job_id, status=status, result=result, url=url)
    log.info("job %s (%s) %s in %.2f s", job_id, kind.name, status, time.monotonic() - started)
    return {"job_id": job_id, "status": status}
