"""The job repository: every asynchronous request is a row in ``jobs``.

A job moves through its kind's statuses (e.g. ``queued`` → ``started`` → ``succeeded``,
or training's ``initiated`` → ``generating`` → ... → ``completed``/``rejected``) and ends
``failed`` on error. ``finished_at`` is set exactly once, when the job reaches a final
status; "finished" always means ``finished_at is not None``, whatever the vocabulary.

Every function takes an optional ``url`` (default: the configured database).
"""

from __future__ import annotations

import math
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from core.storage.db import session_scope
from core.storage.models import Job

FAILED = "failed"

_UNSET: Any = object()


def new_job_id() -> str:
    """``job_<epoch seconds>_<8 hex digits>``, the guide's format."""
    return f"job_{int(time.time())}_{secrets.token_hex(4)}"


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; we only store UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def job_to_dict(job: Job) -> dict[str, Any]:
    """The job as the API returns it (ISO-8601 UTC timestamps ending in ``Z``)."""
    return {
        "job_id": job.id,
        "kind": job.kind,
        "status": job.status,
        "phase": job.phase,
        "progress": job.progress,
        "params": job.params,
        "result": job.result,
        "error": job.error,
        "attempts": job.attempts,
        "worker": job.worker,
        "finished": job.finished_at is not None,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "updated_at": _iso(job.updated_at),
    }


def _clamp_progress(value: float) -> float | None:
    value = float(value)
    if math.isnan(value):
        return None
    return min(1.0, max(0.0, value))


def create_job(
    kind: str,
    params: dict[str, Any],
    *,
    status: str,
    job_id: str | None = None,
    celery_task_id: str | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    """Insert a new job row (``params`` must be JSON-serialisable) and return it."""
    now = datetime.now(UTC)
    row = Job(
        id=job_id or new_job_id(),
        kind=kind,
        status=status,
        phase=None,
        progress=0.0,
        params=dict(params),
        attempts=0,
        celery_task_id=celery_task_id,
        created_at=now,
        updated_at=now,
    )
    with session_scope(url) as session:
        session.add(row)
        session.flush()
        return job_to_dict(row)


def get_job(job_id: str, *, url: str | None = None) -> dict[str, Any] | None:
    with session_scope(url) as session:
        row = session.get(Job, job_id)
        return job_to_dict(row) if row is not None else None


def list_jobs(
    *,
    limit: int = 20,
    kind: str | None = None,
    status: str | None = None,
    url: str | None = None,
) -> list[dict[str, Any]]:
    """Most recent first."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(max(1, limit))
    if kind:
        query = query.where(Job.kind == kind)
    if status:
        query = query.where(Job.status == status)
    with session_scope(url) as session:
        return [job_to_dict(row) for row in session.scalars(query)]


def update_job(
    job_id: str,
    *,
    status: str | None = None,
    phase: str | None = _UNSET,
    progress: float | None = None,
    celery_task_id: str | None = None,
    url: str | None = None,
) -> bool:
    """Record progress of an unfinished job; False when it is missing or already finished."""
    values: dict[str, Any] = {"updated_at": datetime.now(UTC)}
    if status is not None:
        values["status"] = status
    if phase is not _UNSET:
        values["phase"] = phase
    if progress is not None and (clamped := _clamp_progress(progress)) is not None:
        values["progress"] = clamped
    if celery_task_id is not None:
        values["celery_task_id"] = celery_task_id
    with session_scope(url) as session:
        result = session.execute(
            update(Job).where(Job.id == job_id, Job.finished_at.is_(None)).values(**values)
        )
        return result.rowcount > 0


def claim_job(
    job_id: str, *, status: str, worker: str | None, url: str | None = None
) -> dict[str, Any] | None:
    """A runner picks the job up: running ``status``, one more attempt, ``started_at`` kept
    from the first attempt. None when the job is missing or already finished."""
    now = datetime.now(UTC)
    with session_scope(url) as session:
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.finished_at.is_(None))
            .values(
                status=status,
                attempts=Job.attempts + 1,
                worker=worker,
                error=None,
                started_at=func.coalesce(Job.started_at, now),
                updated_at=now,
            )
        )
        if result.rowcount == 0:
            return None
        row = session.get(Job, job_id, populate_existing=True)
        return job_to_dict(row) if row is not None else None


def finish_job(
    job_id: str,
    *,
    status: str,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    phase: str | None = _UNSET,
    url: str | None = None,
) -> bool:
    """Move an unfinished job to a final status, once. False if it was already finished."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "status": status,
        "result": result,
        "error": error,
        "finished_at": now,
        "updated_at": now,
    }
    if error is None:
        values["progress"] = 1.0
    if phase is not _UNSET:
        values["phase"] = phase
    with session_scope(url) as session:
        res = session.execute(
            update(Job).where(Job.id == job_id, Job.finished_at.is_(None)).values(**values)
        )
        return res.rowcount > 0


def mark_stale_jobs_failed(
    *,
    running_older_than: float,
    queued_older_than: float | None = None,
    kinds: list[str] | None = None,
    exclude_kinds: list[str] | None = None,
    url: str | None = None,
) -> list[str]:
    """Fail unfinished jobs nobody is working on any more; return their ids.

    A started job whose row has not changed for ``running_older_than`` seconds lost its
    worker (killed, machine gone) or outlived its hard time limit. A job still waiting after
    ``queued_older_than`` seconds lost its queue message. Progress reports refresh
    ``updated_at``, so a live job is never swept while it reports.
    """
    now = datetime.now(UTC)
    unfinished = [Job.finished_at.is_(None)]
    if kinds:
        unfinished.append(Job.kind.in_(kinds))
    if exclude_kinds:
        unfinished.append(Job.kind.not_in(exclude_kinds))
    rules = [
        (
            [Job.started_at.is_not(None),
             Job.updated_at < now - timedelta(seconds=running_older_than)],
            f"no progress for over {int(running_older_than)} s: the worker was lost "
            "or the job exceeded its time limit",
        )
    ]
    if queued_older_than is not None:
        rules.append((
            [Job.started_at.is_(None),
             Job.created_at < now - timedelta(seconds=queued_older_than)],
            f"not started within {int(queued_older_than)} s: no worker took it",
        ))
    failed: list[str] = []
    with session_scope(url) as session:
        for conditions, reason in rules:
            where = [*unfinished, *conditions]
            for job_id in list(session.scalars(select(Job.id).where(*where))):
                # Same conditions again: the job may have reported progress meanwhile.
                res = session.execute(
                    update(Job)
                    .where(Job.id == job_id, *where)
                    .values(status=FAILED, error=reason, finished_at=now, updated_at=now)
                )
                if res.rowcount:
                    failed.append(job_id)
    return failed
