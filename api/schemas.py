"""Pydantic request/response models of the HTTP API (also the source of /openapi.json).

Request models forbid unknown fields, so a typo is a 422 naming the field. Response
models document the shape; the scan body is the analyzer's own dict, passed through.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")


# Errors ------------------------------------------------------------------------------


class ErrorField(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    error: str = Field(description="stable error code, e.g. validation_error")
    message: str = Field(description="what went wrong and what to fix")
    fields: list[ErrorField] = Field(default_factory=list)


# Health ------------------------------------------------------------------------------


class ServiceInfo(_Response):
    service: str
    version: str
    status: str
    mode: Literal["embedded", "distributed"]
    docs: str | None = None
    endpoints: list[str]


class HealthResponse(BaseModel):
    status: Literal["healthy"]
    timestamp: str = Field(description="ISO-8601 UTC, ending in Z")
    version: str


class HealthDetails(_Response):
    status: Literal["healthy", "degraded"]
    timestamp: str
    version: str
    mode: Literal["embedded", "distributed"]
    database: dict[str, Any]
    broker: dict[str, Any]
    workers: dict[str, Any]
    model: dict[str, Any]


class HealthDetailsQuery(_Request):
    probe: StrictBool = Field(False, description="also run a ping job through the queue")

    @field_validator("probe", mode="before")
    @classmethod
    def _query_bool(cls, value: object) -> object:
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no"):
            return value.lower() in ("1", "true", "yes")
        return value


# Jobs --------------------------------------------------------------------------------


class JobResponse(_Response):
    job_id: str = Field(description="job_<epoch>_<hex8>")
    kind: str
    status: str = Field(description="the kind's vocabulary, e.g. queued/started/succeeded/failed")
    phase: str | None
    progress: float = Field(ge=0, le=1)
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    worker: str | None
    finished: bool
    created_at: str
    started_at: str | None
    finished_at: str | None
    updated_at: str


class JobList(BaseModel):
    jobs: list[JobResponse]
    count: int


class JobListQuery(_Request):
    limit: int = Field(20, ge=1, le=100)
    kind: str | None = Field(None, max_length=32)
    status: str | None = Field(None, max_length=32)


class JobAccepted(BaseModel):
    job_id: str
    kind: str
    status: str
    message: str
    status_url: str


# Scan --------------------------------------------------------------------------------


class ScanRequest(_Request):
    directory: str = Field(min_length=1, max_length=4096,
                           description="directory under ALLOWED_CODE_ROOTS")
    file_pattern: str = Field("*.py", min_length=1, max_length=100,
                              description="file-name glob, searched recursively")
    include_metrics: StrictBool = True
    min_complexity: float | None = Field(None, ge=0, le=100)
    max_files: int | None = Field(None, ge=1, le=100_000)
    background: StrictBool = Field(False, description="true: 202 with a job id at once")

    @field_validator("file_pattern")
    @classmethod
    def _name_glob_only(cls, value: str) -> str:
        if "/" in value or "\\" in value or ".." in value or "\x00" in value:
            raise ValueError("must be a file-name pattern such as *.py (no '/', '\\' or '..')")
        return value


class ScanFileResult(_Response):
    """With ``include_metrics: false`` the score and count fields are left out."""

    file_path: str
    complexity_score: float | None = None
    maintainability_score: float | None = None
    bottlenecks: list[Any]
    opportunities: list[Any]
    lines_of_code: int | None = None
    functions: int | None = None
    classes: int | None = None


class ScanSummary(_Response):
    total_files: int
    avg_complexity: float
    high_complexity_files: int


class ScanResponse(_Response):
    scan_results: list[ScanFileResult]
    summary: ScanSummary
    hotspots: list[dict[str, Any]] = Field(default_factory=list)
