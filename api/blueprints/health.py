"""``/`` service info, ``/health`` liveness, ``/health/details`` (token required)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from api.openapi import api_doc, public
from api.schemas import HealthDetails, HealthDetailsQuery, HealthResponse, ServiceInfo
from api.validation import current_settings, parse_query
from core.settings import Settings

bp = Blueprint("health", __name__)

INSPECT_TIMEOUT_SECONDS = 1.0
PROBE_TIMEOUT_SECONDS = 10.0
CHECKPOINT_NAME = "dqn_model.pth"


def utc_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _mode(settings: Settings) -> str:
    return "embedded" if settings.embedded else "distributed"


@bp.get("/")
@public
@api_doc(summary="Service name, version, mode and endpoints", responses={200: ServiceInfo},
         tags=["health"])
def index() -> Any:
    settings = current_settings()
    endpoints = sorted({
        f"{method} {rule.rule}"
        for rule in current_app.url_map.iter_rules() if rule.endpoint != "static"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    })
    return jsonify({
        "service": settings.APP_NAME,
        "version": settings.APP_VERSION,
        "status": "running",
        "mode": _mode(settings),
        "docs": "/docs" if settings.ENABLE_API_DOCS else None,
        "endpoints": endpoints,
    })


@bp.get("/health")
@public
@api_doc(summary="Liveness: the process answers", responses={200: HealthResponse},
         tags=["health"])
def health() -> Any:
    settings = current_settings()
    return jsonify({"status": "healthy", "timestamp": utc_timestamp(),
                    "version": settings.APP_VERSION})


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]


def _database(settings: Settings) -> dict[str, Any]:
    from core.storage.db import get_engine
    from core.storage.migrate import current_revision, head_revision

    engine = get_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(settings.database_url)
    except Exception as exc:
        return {"status": "error", "backend": engine.dialect.name, "error": _one_line(exc)}
    head = head_revision()
    return {
        "status": "ok" if revision == head else "outdated",
        "backend": engine.dialect.name,
        "revision": revision,
        "head": head,
        **({} if revision == head else {"fix": "run: velox db upgrade"}),
    }


def _broker_and_workers(settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    if settings.embedded:
        from tasks.dispatch import EMBEDDED_WORKERS

        return ({"status": "embedded", "detail": "no broker configured; jobs run in process"},
                {"status": "embedded", "online": 0, "names": [],
                 "executor_threads": EMBEDDED_WORKERS})
    from tasks.celery_app import celery_for

    app = celery_for(settings)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2,
                                    timeout=2)
    except Exception as exc:
        return ({"status": "error", "error": _one_line(exc)},
                {"status": "unknown", "online": 0, "names": [], "queues": {}})
    try:
        replies = app.control.inspect(timeout=INSPECT_TIMEOUT_SECONDS).active_queues() or {}
    except Exception as exc:
        return ({"status": "ok"}, {"status": "error", "online": 0, "names": [],
                                   "error": _one_line(exc)})
    queues: dict[str, list[str]] = {"cpu": [], "gpu": []}
    for name, consumed in sorted(replies.items()):
        for queue in consumed or []:
            queues.setdefault(queue.get("name", "?"), []).append(name)
    names = sorted(replies)
    return ({"status": "ok"}, {"status": "ok" if names else "none", "online": len(names),
                               "names": names, "queues": queues})


def _model(settings: Settings) -> dict[str, Any]:
    directory = settings.model_dir
    checkpoint = directory / CHECKPOINT_NAME
    found = sorted(p.name for p in directory.glob("*.pth")) if directory.is_dir() else []
    info: dict[str, Any] = {
        "status": "present" if checkpoint.is_file() else "missing",
        "checkpoint": str(checkpoint),
        "checkpoints": found,
    }
    if checkpoint.is_file():
        stat = checkpoint.stat()
        info["size_bytes"] = stat.st_size
        info["modified_at"] = datetime.fromtimestamp(stat.st_mtime, UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
    else:
        info["fix"] = "train one: velox pretrain (or POST /train)"
    return info


def _llm(settings: Settings) -> dict[str, Any]:
    try:
        from core.llm.providers import configured_tiers
    except ImportError as exc:  # the LLM package failed to import: say so, keep serving
        return {"status": "error", "error": _one_line(exc)}
    tiers = configured_tiers(settings)
    return {"status": "configured" if tiers else "none", "tiers": tiers}


def _probe(settings: Settings) -> dict[str, Any]:
    from tasks.dispatch import submit

    started = time.monotonic()
    try:
        job = submit("ping", {}, background=False, timeout=PROBE_TIMEOUT_SECONDS,
                     settings=settings)
    except Exception as exc:
        return {"status": "error", "error": _one_line(exc)}
    return {"status": job["status"], "job_id": job["job_id"], "worker": job["worker"],
            "seconds": round(time.monotonic() - started, 3)}


@bp.get("/health/details")
@api_doc(summary="Database, broker, workers online, model and LLM status",
         query=HealthDetailsQuery, responses={200: HealthDetails}, tags=["health"])
def details() -> Any:
    settings = current_settings()
    query = parse_query(HealthDetailsQuery)
    database = _database(settings)
    broker, workers = _broker_and_workers(settings)
    body: dict[str, Any] = {
        "status": "degraded",  # decided below
        "timestamp": utc_timestamp(),
        "version": settings.APP_VERSION,
        "mode": _mode(settings),
        "database": database,
        "broker": broker,
        "workers": workers,
        "model": _model(settings),
        "llm": _llm(settings),
    }
    healthy = database["status"] == "ok" and (
        settings.embedded or (broker["status"] == "ok" and workers["online"] > 0))
    if query.probe:
        body["probe"] = _probe(settings)
        healthy = healthy and body["probe"]["status"] == "succeeded"
    body["status"] = "healthy" if healthy else "degraded"
    return jsonify(body)
