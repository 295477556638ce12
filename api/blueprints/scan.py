"""``POST /scan``: per-file metrics and findings for a directory under ALLOWED_CODE_ROOTS.

Runs as a ``scan`` job (queue ``cpu`` when a broker is configured). ``background=false``
(the default) answers with the scan body; ``background=true`` answers 202 with a job id.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from api.jobs_http import accepted, result_or_error, run_job
from api.openapi import api_doc
from api.schemas import ErrorResponse, JobAccepted, ScanRequest, ScanResponse
from api.validation import parse_body, require_allowed_path

bp = Blueprint("scan", __name__)


@bp.post("/scan")
@api_doc(
    summary="Scan a directory: radon metrics, bottlenecks and hotspots per file",
    request=ScanRequest,
    responses={200: ScanResponse, 202: JobAccepted, 403: ErrorResponse, 500: ErrorResponse,
               503: ErrorResponse},
    tags=["scan"],
)
def scan() -> Any:
    body = parse_body(ScanRequest)
    directory = require_allowed_path(body.directory, field="directory", kind="dir")
    params = {
        "directory": str(directory),
        "file_pattern": body.file_pattern,
        "include_metrics": body.include_metrics,
        "min_complexity": body.min_complexity,
        "max_files": body.max_files,
    }
    job = run_job("scan", params, background=body.background)
    if body.background:
        return accepted(job, "Scan job started in background")
    if not job["finished"]:
        return accepted(job, "Scan still running; poll status_url")
    response = jsonify(result_or_error(job))
    response.headers["X-Job-Id"] = job["job_id"]
    return response
