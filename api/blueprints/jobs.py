"""``GET /jobs/<job_id>`` and ``GET /jobs``: the state of every asynchronous request."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from api.errors import ApiError
from api.openapi import api_doc
from api.schemas import ErrorResponse, JobList, JobListQuery, JobResponse
from api.validation import current_settings, parse_query
from core.storage import jobs as job_store

bp = Blueprint("jobs", __name__)


def job_or_404(job_id: str) -> dict[str, Any]:
    """The job, or a 404 naming it (for other blueprints' status endpoints too)."""
    job = job_store.get_job(job_id, url=current_settings().database_url)
    if job is None:
        raise ApiError(404, f"no job with id {job_id!r}; ids look like job_<epoch>_<hex8>",
                       fields=[{"field": "job_id", "message": "unknown"}])
    return job


@bp.get("/jobs/<job_id>")
@api_doc(summary="One job: status, phase, progress, result or error",
         responses={200: JobResponse, 404: ErrorResponse}, tags=["jobs"])
def get_job(job_id: str) -> Any:
    return jsonify(job_or_404(job_id))


@bp.get("/jobs")
@api_doc(summary="Recent jobs, newest first", query=JobListQuery, responses={200: JobList},
         tags=["jobs"])
def list_jobs() -> Any:
    query = parse_query(JobListQuery)
    jobs = job_store.list_jobs(limit=query.limit, kind=query.kind, status=query.status,
                               url=current_settings().database_url)
    return jsonify({"jobs": jobs, "count": len(jobs)})
