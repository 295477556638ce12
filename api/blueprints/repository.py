"""``POST /scan/repository`` and ``POST /optimize/repository``: clone a GitHub repository
at a branch, tag or commit SHA, then scan (or optimize) its most complex Python files.

Only ``https://github.com/<owner>/<repo>`` URLs are accepted here (422 naming
``repository_url`` otherwise). Runs as ``repository_scan`` / ``repository_optimize`` jobs on
the ``cpu`` queue (in process without a broker). Synchronous by default (the guide's body);
``background: true`` answers 202 with a job id to poll at ``/jobs/<id>``. The clone is
deleted when the job ends (``clone_path`` is ``null``, ``clone_removed`` ``true``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from pydantic import Field, StrictBool, field_validator

from api.blueprints.optimize import ObjectiveWeights
from api.errors import ApiError
from api.jobs_http import accepted, result_or_error, run_job
from api.openapi import api_doc
from api.schemas import ErrorResponse, JobAccepted, _Request, _Response
from api.validation import parse_body
from core.repository.url import RepositoryError, check_ref, parse_repository_url

bp = Blueprint("repository", __name__)


class RepositoryScanRequest(_Request):
    repository_url: str = Field(min_length=1, max_length=500,
                                description="https://github.com/<owner>/<repo> only")
    ref: str = Field("main", min_length=1, max_length=255,
                     description="branch, tag or commit SHA (7-40 hex digits)")
    max_files: int = Field(50, ge=1, le=1000, description="most complex files kept")
    min_complexity: float = Field(50.0, ge=0, le=100,
                                  description="complexity score a file needs to be kept")
    background: StrictBool = Field(False, description="true: 202 with a job id at once")

    @field_validator("repository_url")
    @classmethod
    def _github_only(cls, value: str) -> str:
        try:
            parse_repository_url(value)
        except RepositoryError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("ref")
    @classmethod
    def _ref_name(cls, value: str) -> str:
        try:
            return check_ref(value)
        except RepositoryError as exc:
            raise ValueError(str(exc)) from None


class RepositoryOptimizeRequest(RepositoryScanRequest):
    max_files: int = Field(50, ge=1, le=200, description="most complex files optimized")
    objective_weights: ObjectiveWeights | None = None
    max_suggestions_per_file: int = Field(5, ge=1, le=50)
    enable_cross_file_context: StrictBool = Field(
        False, description="callers/callees from the import graph go into the context")
    enable_batch_coordination: StrictBool = Field(
        False, description="files that import each other are processed as a group, each "
                           "with the group's code as context")
    run_validation: StrictBool = Field(
        False, description="false: suggestions are measured but behaviour is not compared "
                           "(validation_status skipped)")

    @field_validator("objective_weights")
    @classmethod
    def _usable_weights(cls, value: ObjectiveWeights | None) -> ObjectiveWeights | None:
        if value is not None:
            from core.optimize.pipeline import normalise_weights

            normalise_weights(value.model_dump(), None)  # type: ignore[arg-type]
        return value


class RepositoryScanResponse(_Response):
    repository: str
    ref: str
    commit: str
    scan_summary: dict[str, Any]
    hotspots: list[dict[str, Any]]


class RepositoryOptimizeResponse(_Response):
    repository: str
    ref: str
    clone_path: str | None
    optimization_results: list[dict[str, Any]]
    summary: dict[str, Any]


def _respond(job: dict[str, Any], background: bool, what: str) -> Any:
    if background:
        return accepted(job, f"Repository {what} job started in background")
    if not job["finished"]:
        return accepted(job, f"Repository {what} still running; poll status_url")
    _bad_ref_or_url(job)
    response = jsonify(result_or_error(job))
    response.headers["X-Job-Id"] = job["job_id"]
    return response


def _bad_ref_or_url(job: dict[str, Any]) -> None:
    """A ref the repository lacks, or a repository that cannot be cloned, is the client's
    input at fault: 422 naming the field (the job row keeps the failure too)."""
    error = job.get("error") or ""
    prefix = "RepositoryError: "
    if job["status"] != "failed" or not error.startswith(prefix):
        return
    message = error[len(prefix):]
    field = "ref" if message.startswith("ref ") else "repository_url"
    raise ApiError(422, message, fields=[{"field": field, "message": message}],
                   extra={"job_id": job["job_id"]})


def _base_params(body: RepositoryScanRequest) -> dict[str, Any]:
    return {"repository_url": body.repository_url, "ref": body.ref,
            "max_files": body.max_files, "min_complexity": body.min_complexity}


_ERRORS = {202: JobAccepted, 400: ErrorResponse, 422: ErrorResponse, 500: ErrorResponse,
           503: ErrorResponse}


@bp.post("/scan/repository")
@api_doc(summary="Clone a GitHub repository at a ref and rank its most complex Python files",
         request=RepositoryScanRequest, responses={200: RepositoryScanResponse, **_ERRORS},
         tags=["repository"])
def scan_repository() -> Any:
    body = parse_body(RepositoryScanRequest)
    job = run_job("repository_scan", _base_params(body), background=body.background)
    return _respond(job, body.background, "scan")


@bp.post("/optimize/repository")
@api_doc(summary="Clone a GitHub repository and optimize its most complex Python files",
         request=RepositoryOptimizeRequest,
         responses={200: RepositoryOptimizeResponse, **_ERRORS}, tags=["repository"])
def optimize_repository() -> Any:
    body = parse_body(RepositoryOptimizeRequest)
    params = {
        **_base_params(body),
        "objective_weights": body.objective_weights.model_dump() if body.objective_weights
        else None,
        "max_suggestions_per_file": body.max_suggestions_per_file,
        "enable_cross_file_context": body.enable_cross_file_context,
        "enable_batch_coordination": body.enable_batch_coordination,
        "run_validation": body.run_validation,
    }
    job = run_job("repository_optimize", params, background=body.background)
    return _respond(job, body.background, "optimization")
