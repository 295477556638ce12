"""``POST /train``, ``GET /train/<id>``, ``GET /train?limit=N``: DQN training jobs.

A training job (kind ``train``, queue ``gpu``) runs :func:`ml.jobs.run_training`.
``background: true`` (the default) answers 202 with the guide's ``training_id`` /
``initiated`` body; ``background: false`` waits and answers with the final status
document. The status document is the guide's: ``job_id``, ``status`` (initiated,
generating, training, evaluating, publishing, completed, rejected, failed), ``phase``,
``progress``, ``config``, ``evaluation``, ``artifacts`` (the last two once known).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.errors import ApiError
from api.jobs_http import run_job
from api.openapi import api_doc
from api.schemas import ErrorResponse
from api.validation import current_settings, parse_body, parse_query

bp = Blueprint("train", __name__)


class TrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    synthetic_samples: int = Field(10_000, ge=0, le=5_000_000)
    epochs: int = Field(40, ge=1, le=10_000)
    steps_per_epoch: int = Field(1000, ge=1, le=1_000_000)
    batch_size: int = Field(64, ge=1, le=65_536)
    holdout_fraction: float = Field(0.2, ge=0, lt=1)
    learning_rate: float = Field(0.001, gt=0, le=1)
    gamma: float = Field(0.99, ge=0, le=1)
    epsilon_start: float = Field(1.0, ge=0, le=1)
    epsilon_end: float = Field(0.05, ge=0, le=1)
    hidden_dim: int = Field(256, ge=1, le=8192)
    replay_buffer_size: int = Field(10_000, ge=1, le=10_000_000)
    shuffle: StrictBool = True
    fresh_start: StrictBool = False
    seed: int = 42
    background: StrictBool = True


class TrainAccepted(BaseModel):
    training_id: str
    status: str
    message: str
    job_metadata: dict[str, Any]
    status_url: str


class TrainStatus(BaseModel):
    model_config = ConfigDict(extra="allow")

    job_id: str
    status: str
    phase: str | None
    progress: float
    config: dict[str, Any]
    evaluation: dict[str, Any] | None
    artifacts: dict[str, Any] | None


class TrainListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(20, ge=1, le=100)


class TrainList(BaseModel):
    jobs: list[TrainStatus]
    count: int


def status_document(job: dict[str, Any]) -> dict[str, Any]:
    """The guide's training status document from a job row."""
    from ml.jobs import training_config  # noqa: PLC0415

    result = job.get("result") or {}
    return {
        "job_id": job["job_id"],
        "status": job["status"],
        "phase": job["phase"],
        "progress": job["progress"],
        "config": result.get("config") or training_config(job.get("params") or {}),
        "evaluation": result.get("evaluation"),
        "artifacts": result.get("artifacts"),
        "error": job.get("error"),
        "model_version": result.get("model_version"),
        "created_at": job.get("created_at"),
        "started_at": job.get("started_at"),
        "finished_at": job.get("finished_at"),
    }


@bp.post("/train")
@api_doc(summary="Start a DQN training job (generate, train, evaluate, gate, publish)",
         request=TrainRequest, responses={200: TrainStatus, 202: TrainAccepted,
                                          422: ErrorResponse, 503: ErrorResponse},
         tags=["train"])
def start_training() -> Any:
    body = parse_body(TrainRequest)
    if body.replay_buffer_size < body.batch_size:
        raise ApiError(422, "invalid request body: replay_buffer_size must be >= batch_size",
                       fields=[{"field": "replay_buffer_size", "message": "must be >= batch_size"}])
    params = body.model_dump(exclude={"background"})
    job = run_job("train", params, background=body.background)
    if body.background or not job["finished"]:
        message = ("Training job started in background" if body.background
                   else "Training still running; poll status_url")
        status_url = f"/train/{job['job_id']}"
        doc = {"training_id": job["job_id"], "status": job["status"], "message": message,
               "job_metadata": {k: params[k] for k in ("synthetic_samples", "epochs",
                                                        "steps_per_epoch")},
               "status_url": status_url}
        return jsonify(doc), 202, {"Location": status_url}
    return jsonify(status_document(job))


def _train_job_or_404(job_id: str) -> dict[str, Any]:
    from core.storage import jobs as job_store  # noqa: PLC0415

    job = job_store.get_job(job_id, url=current_settings().database_url)
    if job is None or job["kind"] != "train":
        raise ApiError(404, f"no training job with id {job_id!r}", error="not_found")
    return job


@bp.get("/train/<job_id>")
@api_doc(summary="Status of a training job (live progress while it runs)",
         responses={200: TrainStatus, 404: ErrorResponse}, tags=["train"])
def training_status(job_id: str) -> Any:
    return jsonify(status_document(_train_job_or_404(job_id)))


@bp.get("/train")
@api_doc(summary="Recent training jobs, newest first", query=TrainListQuery,
         responses={200: TrainList, 422: ErrorResponse}, tags=["train"])
def list_trainings() -> Any:
    from core.storage import jobs as job_store  # noqa: PLC0415

    query = parse_query(TrainListQuery)
    jobs = job_store.list_jobs(limit=query.limit, kind="train", url=current_settings().database_url)
    docs = [status_document(j) for j in jobs]
    return jsonify({"jobs": docs, "count": len(docs)})
