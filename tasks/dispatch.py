"""Submit work: write the job row first, then hand the job id to whoever runs it.

Distributed mode (a broker is configured): the job goes to its kind's Celery queue.
Embedded mode (no broker): it runs in this process — inline when the caller waits
(``background=False``), else on a small local thread pool. Either way the job row moves
through the same states, written by the same runner (``tasks.runner.execute_job``).
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from core.settings import Settings, get_settings
from core.storage import jobs as job_store
from tasks.registry import FAILED, get_kind
from tasks.runner import execute_job, one_line_error

log = logging.getLogger("velox.tasks.dispatch")

EMBEDDED_WORKERS = 2
POLL_INTERVAL_SECONDS = 0.2


class DispatchError(RuntimeError):
    """The job row was written but the job could not be enqueued; the row says failed."""

    def __init__(self, message: str, job: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.job = job


_executor: ThreadPoolExecutor | None = None
_executor_pid: int | None = None
_executor_lock = threading.Lock()
_pending: set[str] = set()


def _embedded_executor() -> ThreadPoolExecutor:
    global _executor, _executor_pid
    with _executor_lock:
        if _executor is None or _executor_pid != os.getpid():  # none yet, or inherited by fork
            _executor = ThreadPoolExecutor(EMBEDDED_WORKERS, thread_name_prefix="velox-job")
            _executor_pid = os.getpid()
        return _executor


def _embedded_worker_name() -> str:
    return f"embedded:{socket.gethostname()}:{os.getpid()}"


def _run_embedded(job_id: str, url: str) -> None:
    try:
        execute_job(job_id, worker=_embedded_worker_name(), url=url)
    finally:
        _pending.discard(job_id)


def _log_crash(future: Future[None]) -> None:
    if (exc := future.exception()) is not None:
        log.error("embedded job crashed outside its runner", exc_info=exc)


@atexit.register
def _fail_unstarted_on_exit() -> None:
    """Jobs still waiting in the local pool when the process exits would wait forever."""
    executor = _executor
    if executor is None or _executor_pid != os.getpid():
        return
    executor.shutdown(wait=False, cancel_futures=True)
    for job_id in list(_pending):
        try:
            job = job_store.get_job(job_id)
            if job and job["started_at"] is None:
                job_store.finish_job(job_id, status=FAILED,
                                     error="the process exited before the job started")
        except Exception:  # interpreter shutting down; the stale sweep catches it later
            pass


def wait_for_job(job_id: str, *, timeout: float | None = None, url: str | None = None,
                 poll_interval: float = POLL_INTERVAL_SECONDS) -> dict[str, Any]:
    """Poll the job row until it finishes or ``timeout`` seconds pass; return its last state."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        job = job_store.get_job(job_id, url=url)
        if job is None:
            raise KeyError(job_id)
        if job["finished"] or (deadline is not None and time.monotonic() >= deadline):
            return job
        time.sleep(poll_interval)


def submit(
    kind: str,
    params: dict[str, Any],
    *,
    background: bool = True,
    timeout: float | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Record a job of ``kind`` and start it; return the job (see ``core.storage.jobs``).

    ``background=False`` waits for the final state (embedded: runs inline; distributed:
    waits up to ``timeout`` seconds, then returns the job as it stands — check
    ``job["finished"]``). Raises ``UnknownJobKind`` (a ``KeyError``) for an unknown kind
    and ``DispatchError`` when the broker cannot be reached.
    """
    settings = settings or get_settings()
    spec = get_kind(kind)
    url = settings.database_url

    if settings.embedded:
        job = job_store.create_job(kind, params, status=spec.initial_status, url=url)
        if not background:
            execute_job(job["job_id"], worker=_embedded_worker_name(), url=url)
            return job_store.get_job(job["job_id"], url=url) or job
        _pending.add(job["job_id"])
        future = _embedded_executor().submit(_run_embedded, job["job_id"], url)
        future.add_done_callback(_log_crash)
        return job

    from tasks.celery_app import QUEUE_TASKS, celery_for  # noqa: PLC0415 - Celery only when used

    task_id = str(uuid.uuid4())
    job = job_store.create_job(kind, params, status=spec.initial_status, url=url,
                               celery_task_id=task_id)
    try:
        celery_for(settings).send_task(
            QUEUE_TASKS[spec.queue],
            args=[job["job_id"]],
            task_id=task_id,
            queue=spec.queue,
            soft_time_limit=spec.soft_time_limit,
            time_limit=spec.time_limit,
            ignore_result=True,  # the job row is the result
        )
    except Exception as exc:
        error = f"could not enqueue on the {spec.queue} queue: {one_line_error(exc)}"
        job_store.finish_job(job["job_id"], status=FAILED, error=error, url=url)
        log.error("job %s: %s", job["job_id"], error)
        raise DispatchError(f"job {job['job_id']}: {error}",
                            job_store.get_job(job["job_id"], url=url)) from exc
    if background:
        return job
    return wait_for_job(job["job_id"], timeout=timeout, url=url)
