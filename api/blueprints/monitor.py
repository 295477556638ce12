"""``POST /monitor/directory``, ``GET /pipeline/status``, ``DELETE /monitor/<id>``.

A monitor watches a directory under ALLOWED_CODE_ROOTS: each run fingerprints its Python
files, analyses the ones that changed since the previous run, optionally optimizes them,
and POSTs a JSON notification to ``notification_webhook`` (see ``core.monitor``). Creating
a monitor queues its first run at once (a ``monitor`` job; its id is in the answer). A
webhook whose host resolves to a loopback, private, link-local or other non-public address
is refused with 400 unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is set (checked again at every
delivery).

Who starts later runs: with a broker, the Celery beat entry ``run-due-monitors`` (every
10 s) queues a ``monitor`` job for each monitor whose interval elapsed. In embedded mode
(no broker) a daemon thread in the API process does the same every 10 s, running the jobs
on the local executor; it is started once per process and database when the blueprint is
registered, and stops when its app is garbage-collected. Claims are atomic, so several
API processes or a beat plus a thread never start one run twice.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, jsonify
from flask.blueprints import BlueprintSetupState
from pydantic import Field, StrictBool, field_validator

from api.errors import ApiError
from api.jobs_http import run_job
from api.openapi import api_doc
from api.schemas import ErrorResponse, _Request, _Response
from api.validation import current_settings, parse_body, require_allowed_path
from core import monitor as monitors
from core.settings import Settings

log = logging.getLogger("velox.api.monitor")

bp = Blueprint("monitor", __name__)

SCHEDULER_TICK_SECONDS = 10.0
MAX_INTERVAL_SECONDS = 7 * 24 * 3600


class MonitorRequest(_Request):
    directory: str = Field(min_length=1, max_length=4096,
                           description="directory under ALLOWED_CODE_ROOTS")
    interval_seconds: int = Field(300, ge=monitors.MIN_INTERVAL_SECONDS, le=MAX_INTERVAL_SECONDS)
    auto_optimize: StrictBool = Field(
        False, description="optimize changed files with findings (validation on)")
    notification_webhook: str | None = Field(
        None, min_length=1, max_length=2000,
        description="http(s) URL that receives a JSON POST when files changed; public "
                    "addresses only unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=true")

    @field_validator("notification_webhook")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        if any(ch in value for ch in " \r\n\t\x00"):
            raise ValueError("must not contain whitespace or control characters")
        return value


class MonitorResponse(_Response):
    monitor_id: str
    directory: str
    interval_seconds: int
    auto_optimize: bool
    notification_webhook: str | None
    active: bool


class PipelineStatus(_Response):
    mode: str
    scheduler: str
    active_monitors: int
    monitors: list[dict[str, Any]]
    jobs: dict[str, dict[str, int]]


# -- embedded scheduler ----------------------------------------------------------------------

_started: set[tuple[int, str]] = set()
_started_lock = threading.Lock()


def _scheduler_loop(app_ref: weakref.ReferenceType[Flask], settings: Settings,
                    stop: threading.Event, key: tuple[int, str]) -> None:
    from tasks.dispatch import submit

    url = settings.database_url
    while not stop.wait(SCHEDULER_TICK_SECONDS):
        if app_ref() is None:  # the app is gone (tests build many)
            break
        try:
            monitors.run_due_monitors(
                lambda mid: submit("monitor", {"monitor_id": mid}, background=True,
                                   settings=settings), url=url)
        except Exception as exc:  # a database hiccup: try again next tick
            log.debug("embedded monitor scheduler tick failed: %s", exc)
    with _started_lock:
        _started.discard(key)


def _start_embedded_scheduler(state: BlueprintSetupState) -> None:
    settings: Settings = state.app.config["VELOX_SETTINGS"]
    if not settings.embedded:
        return  # the Celery beat entry "run-due-monitors" schedules runs
    key = (os.getpid(), settings.database_url)
    with _started_lock:
        if key in _started:
            return
        _started.add(key)
    app_ref = weakref.ref(state.app)
    thread = threading.Thread(target=_scheduler_loop, args=(app_ref, settings, threading.Event(), key),
                              name="velox-monitor-scheduler", daemon=True)
    thread.start()


bp.record_once(_start_embedded_scheduler)


# -- views -----------------------------------------------------------------------------------


@bp.post("/monitor/directory")
@api_doc(summary="Watch a directory: analyse changed files every interval, notify a webhook",
         request=MonitorRequest,
         responses={201: MonitorResponse, 400: ErrorResponse, 403: ErrorResponse,
                    422: ErrorResponse, 503: ErrorResponse}, tags=["monitor"])
def create_monitor() -> Any:
    body = parse_body(MonitorRequest)
    directory = require_allowed_path(body.directory, field="directory", kind="dir")
    settings = current_settings()
    url = settings.database_url
    try:
        created = monitors.create_monitor(
            str(directory), interval_seconds=body.interval_seconds,
            auto_optimize=body.auto_optimize, notification_webhook=body.notification_webhook,
            claim=True, url=url, settings=settings)
    except monitors.WebhookRefused as exc:  # the webhook policy (core.monitor): no row written
        raise ApiError(400, str(exc), fields=[
            {"field": "notification_webhook", "message": str(exc)}]) from None
    try:
        job = run_job("monitor", {"monitor_id": created["monitor_id"]}, background=True)
    except ApiError:
        # The broker is down: leave no half-started monitor behind for beat to pick up
        # later; the client retries the POST.
        monitors.stop_monitor(created["monitor_id"], url=url)
        raise
    created.update(first_run_job_id=job["job_id"], status_url=f"/jobs/{job['job_id']}",
                   message="Monitor started; first run queued")
    return jsonify(created), 201, {"Location": "/pipeline/status"}


@bp.get("/pipeline/status")
@api_doc(summary="Monitors with their last run and changes, and job counts of the last 24 h",
         responses={200: PipelineStatus}, tags=["monitor"])
def pipeline_status() -> Any:
    settings = current_settings()
    url = settings.database_url
    rows = monitors.list_monitors(include_inactive=True, url=url)
    listed = []
    for row in rows:
        last = row.pop("last_result") or {}
        row["last_changes"] = None if not last else {
            "run_at": last.get("run_at"),
            "first_run": last.get("first_run"),
            "files_watched": last.get("files_watched"),
            "added": last.get("added", []),
            "modified": last.get("modified", []),
            "removed": last.get("removed", []),
            "hotspots": last.get("hotspots", []),
            "suggestions": sum(len(o.get("suggestions", []))
                               for o in last.get("optimizations", [])),
            "notification": last.get("notification"),
            "error": last.get("error"),
        }
        listed.append(row)
    return jsonify({
        "mode": "embedded" if settings.embedded else "distributed",
        "scheduler": "api thread" if settings.embedded else "celery beat (run-due-monitors)",
        "active_monitors": sum(1 for m in listed if m["active"]),
        "monitors": listed,
        "jobs": monitors.job_counts(url=url),
        "jobs_window_hours": 24,
    })


@bp.delete("/monitor/<monitor_id>")
@api_doc(summary="Stop a monitor (its row and last result stay)",
         responses={200: MonitorResponse, 404: ErrorResponse}, tags=["monitor"])
def stop_monitor(monitor_id: str) -> Any:
    try:
        stopped = monitors.stop_monitor(monitor_id, url=current_settings().database_url)
    except monitors.MonitorNotFound:
        raise ApiError(404, f"no monitor with id {monitor_id!r}",
                       fields=[{"field": "monitor_id", "message": "unknown"}]) from None
    stopped.pop("last_result", None)
    return jsonify(stopped)
