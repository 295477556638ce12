"""``POST /optimize`` (inline code) and ``POST /optimize/file`` (a module under
ALLOWED_CODE_ROOTS): verified, measured rewrites.

Runs as an ``optimize`` job on the ``cpu`` queue (in process without a broker).
Synchronous by default (the response is the guide's body); ``background: true`` answers
202 with a job id to poll at ``/jobs/<id>``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from pydantic import Field, StrictBool, field_validator

from api.errors import ApiError
from api.jobs_http import accepted, result_or_error, run_job
from api.openapi import api_doc
from api.schemas import ErrorResponse, JobAccepted, _Request, _Response
from api.validation import check_inline_code, current_settings, parse_body, require_allowed_path

bp = Blueprint("optimize", __name__)


class ObjectiveWeights(_Request):
    runtime: float = Field(0.5, ge=0, le=1)
    memory: float = Field(0.5, ge=0, le=1)


class _OptimizeOptions(_Request):
    objective_weights: ObjectiveWeights | None = None
    max_suggestions: int | None = Field(None, ge=1, le=50)
    run_validation: StrictBool = True
    unit_test_command: str | None = Field(
        None, min_length=1, max_length=1000,
        description="needs ENABLE_API_UNIT_TEST_COMMAND_OVERRIDE; '{path}' is the test file",
    )
    function_name: str | None = Field(
        None, min_length=1, max_length=300,
        description="only rewrites of this function: 'name' or 'Class.method'",
    )
    background: StrictBool = Field(False, description="true: 202 with a job id at once")

    @field_validator("objective_weights")
    @classmethod
    def _not_both_zero(cls, value: ObjectiveWeights | None) -> ObjectiveWeights | None:
        if value is not None and value.runtime + value.memory <= 0:
            raise ValueError("runtime and memory weights must not both be 0")
        return value


class OptimizeRequest(_OptimizeOptions):
    code: str = Field(min_length=1, description="Python source of a module or function")


class OptimizeFileRequest(_OptimizeOptions):
    file_path: str = Field(min_length=1, max_length=4096, description="a .py file under ALLOWED_CODE_ROOTS")


class OptimizeResponse(_Response):
    suggestions: list[dict[str, Any]]
    processing_time_seconds: float
    llm_provider: str | None = None


def _options(body: _OptimizeOptions) -> dict[str, Any]:
    settings = current_settings()
    if body.unit_test_command and not settings.ENABLE_API_UNIT_TEST_COMMAND_OVERRIDE:
        raise ApiError(
            403,
            "unit_test_command override not allowed: set ENABLE_API_UNIT_TEST_COMMAND_OVERRIDE=true "
            "on the server, or leave the field out to use UNIT_TEST_COMMAND",
            fields=[{"field": "unit_test_command", "message": "override not allowed"}],
        )
    return {
        "objective_weights": body.objective_weights.model_dump() if body.objective_weights else None,
        "max_suggestions": body.max_suggestions,
        "run_validation": body.run_validation,
        "unit_test_command": body.unit_test_command,
        "function_name": body.function_name,
    }


def _check_function(code: str, name: str | None, where: str) -> None:
    """A ``function_name`` the module does not define is the caller's mistake: a 422 that
    lists the module's functions, before any job is queued."""
    if not name:
        return
    from core.analysis import analyze_source
    from core.optimize.pipeline import UnknownFunctionError, functions_named

    analysis = analyze_source(code, where)
    if analysis.error:
        return  # the job reports what is wrong with the module
    try:
        functions_named(analysis, name)
    except UnknownFunctionError as exc:
        raise ApiError(422, str(exc), fields=[{"field": "function_name",
                                               "message": "no such function"}]) from None


def _respond(job: dict[str, Any], background: bool) -> Any:
    if background:
        return accepted(job, "Optimization job started in background")
    if not job["finished"]:
        return accepted(job, "Optimization still running; poll status_url")
    response = jsonify(result_or_error(job))
    response.headers["X-Job-Id"] = job["job_id"]
    return response


_RESPONSES = {200: OptimizeResponse, 202: JobAccepted, 403: ErrorResponse, 413: ErrorResponse,
              422: ErrorResponse, 500: ErrorResponse, 503: ErrorResponse}


@bp.post("/optimize")
@api_doc(summary="Optimize inline code: verified rewrites with measured runtime and memory deltas",
         request=OptimizeRequest, responses=_RESPONSES, tags=["optimize"])
def optimize_code() -> Any:
    body = parse_body(OptimizeRequest)
    check_inline_code(body.code)
    try:
        compile(body.code, "<code>", "exec")
    except SyntaxError as exc:
        raise ApiError(422, f"code does not parse: {exc.msg} (line {exc.lineno})",
                       fields=[{"field": "code", "message": f"syntax error at line {exc.lineno}"}]) from None
    _check_function(body.code, body.function_name, "<code>")
    params = {"code": body.code, **_options(body)}
    return _respond(run_job("optimize", params, background=body.background), body.background)


@bp.post("/optimize/file")
@api_doc(summary="Optimize a module under ALLOWED_CODE_ROOTS; its tests run on patched copies",
         request=OptimizeFileRequest, responses=_RESPONSES, tags=["optimize"])
def optimize_file() -> Any:
    body = parse_body(OptimizeFileRequest)
    path = require_allowed_path(body.file_path, field="file_path", kind="file")
    if path.suffix != ".py":
        raise ApiError(422, f"file_path {body.file_path!r} is not a Python file (.py)",
                       fields=[{"field": "file_path", "message": "not a .py file"}])
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        source = None  # the job says why it cannot read it
    if source is not None:
        _check_function(source, body.function_name, body.file_path)
    params = {"file_path": str(path), **_options(body)}
    return _respond(run_job("optimize", params, background=body.background), body.background)
