"""Run a job for an HTTP request: the same pattern for scan, optimize, train, ...

    job = run_job("scan", params, background=body.background)
    if job["finished"]: ...                       # synchronous request, done
    return accepted(job, "Scan job started in background")   # 202 + Location

``run_job`` writes the job row and dispatches it (Celery queue, or in process when no
broker is configured); a broker that cannot be reached is a 503 naming it.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from api.errors import ApiError
from api.validation import current_settings
from tasks.dispatch import DispatchError, submit

# A synchronous request waits this long for a worker, then answers 202 with the job.
SYNC_WAIT_SECONDS = 300.0


def run_job(kind: str, params: dict[str, Any], *, background: bool,
            timeout: float = SYNC_WAIT_SECONDS) -> dict[str, Any]:
    try:
        return submit(kind, params, background=background, timeout=timeout,
                      settings=current_settings())
    except DispatchError as exc:
        raise ApiError(503, f"could not queue the {kind} job: the broker is unreachable "
                            "(check REDIS_URL / CELERY_BROKER_URL and that Redis runs)",
                       extra={"job_id": exc.job["job_id"] if exc.job else None}) from exc


def accepted(job: dict[str, Any], message: str) -> tuple[Response, int, dict[str, str]]:
    """202 with the job id and where to poll."""
    status_url = f"/jobs/{job['job_id']}"
    return (jsonify({"job_id": job["job_id"], "kind": job["kind"], "status": job["status"],
                     "message": message, "status_url": status_url}),
            202, {"Location": status_url})


def result_or_error(job: dict[str, Any]) -> dict[str, Any]:
    """The result of a finished job; a failed job becomes a 500 carrying its one-line error
    (never a traceback) and its id."""
    if job["status"] == "failed":
        raise ApiError(500, f"{job['kind']} job {job['job_id']} failed: {job['error']}",
                       error="job_failed", extra={"job_id": job["job_id"]})
    return job["result"] or {}
