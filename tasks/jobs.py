"""Celery tasks: one generic task per queue runs any job by id, plus the stale-job sweep."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Task
from celery.exceptions import TimeLimitExceeded

from core.storage import jobs as job_store
from tasks.celery_app import QUEUE_TASKS, SWEEP_TASK, app
from tasks.registry import FAILED, JOB_KINDS, longest_time_limit
from tasks.runner import execute_job, one_line_error

log = logging.getLogger("velox.tasks")

# Jobs are swept as stale when their row has not moved for longer than their hard limit
# plus this margin; jobs never picked up are swept after a day.
STALE_MARGIN_SECONDS = 10 * 60
QUEUED_EXPIRY_SECONDS = 24 * 3600


class JobTask(Task):
    """Records a failure the runner could not see: the hard time limit kills the child, and
    Celery then calls ``on_failure`` in the worker's parent process."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any,
                   einfo: Any) -> None:
        job_id = (args or [None])[0] or (kwargs or {}).get("job_id")
        if not job_id:
            return
        if isinstance(exc, TimeLimitExceeded):
            error = ("TimeLimitExceeded: the job ran past its hard time limit "
                     f"({_seconds(exc.args[0] if exc.args else None)}) and its worker "
                     "process was killed")
        else:
            error = one_line_error(exc)
        try:
            job_store.finish_job(job_id, status=FAILED, error=error)
        except Exception:
            log.exception("job %s: could not record failure %r", job_id, exc)


def _seconds(limit: object) -> str:
    if isinstance(limit, int | float) and not isinstance(limit, bool):
        return f"{limit:g} s"
    return "unknown limit"


def _run(task: Task, job_id: str) -> dict[str, Any]:
    return execute_job(job_id, worker=f"{task.request.hostname}:{os.getpid()}")


@app.task(name=QUEUE_TASKS["cpu"], base=JobTask, bind=True)
def run_cpu_job(self: Task, job_id: str) -> dict[str, Any]:
    return _run(self, job_id)


@app.task(name=QUEUE_TASKS["gpu"], base=JobTask, bind=True,
          soft_time_limit=JOB_KINDS["train"].soft_time_limit,
          time_limit=JOB_KINDS["train"].time_limit)
def run_gpu_job(self: Task, job_id: str) -> dict[str, Any]:
    return _run(self, job_id)


def sweep_stale(url: str | None = None) -> list[str]:
    """Fail jobs that stopped moving (per kind: hard limit + margin) or never started."""
    failed: list[str] = []
    for kind in JOB_KINDS.values():
        failed += job_store.mark_stale_jobs_failed(
            running_older_than=kind.time_limit + STALE_MARGIN_SECONDS,
            queued_older_than=QUEUED_EXPIRY_SECONDS,
            kinds=[kind.name],
            url=url,
        )
    # Kinds no longer registered (renamed, removed) would otherwise never be swept.
    failed += job_store.mark_stale_jobs_failed(
        running_older_than=longest_time_limit() + STALE_MARGIN_SECONDS,
        queued_older_than=QUEUED_EXPIRY_SECONDS,
        exclude_kinds=list(JOB_KINDS),
        url=url,
    )
    if failed:
        log.warning("stale-job sweep failed %d job(s): %s", len(failed), ", ".join(failed))
    return failed


@app.task(name=SWEEP_TASK)
def sweep_stale_jobs() -> dict[str, Any]:
    return {"failed": sweep_stale()}
