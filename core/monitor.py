"""Directory monitors (``POST /monitor/directory``): what one run does, and which are due.

One run (``run_monitor_once``):

0. check the directory is still under ``ALLOWED_CODE_ROOTS`` (of the process running the
   job) and exists; otherwise record the error on the row and fail the job;
1. fingerprint every ``*.py`` file under the directory (scanner's discovery rules):
   path, mtime (ns), size and SHA-256 of the content;
2. compare with the previous run's fingerprints (kept in ``last_result["files"]``):
   ``added``, ``modified`` (content hash changed), ``removed``. The first run has no
   previous state, so every file counts as added;
3. analyse the added and modified files (``scan_results``/``hotspots`` of the scan body);
4. with ``auto_optimize``, run the optimization pipeline (validation on) on the changed
   files that have findings, at most ``MAX_AUTO_OPTIMIZE_FILES`` per run;
5. when anything changed, POST a JSON notification to ``notification_webhook``
   (stdlib urllib, ``WEBHOOK_TIMEOUT_SECONDS``); a failure is logged and recorded in the
   result, never fatal;
6. store ``last_run_at``, ``last_fingerprint`` (SHA-256 over all file fingerprints) and
   ``last_result`` on the monitor row.

Scheduling: ``claim_due_monitors`` atomically moves ``last_run_at`` of each active monitor
whose interval has elapsed to now and returns their ids, so a Celery beat entry and the
API's embedded scheduler thread (and several API processes) never start the same run twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from core.progress import Progress, no_progress
from core.settings import Settings, get_settings
from core.storage.db import session_scope
from core.storage.models import Monitor

log = logging.getLogger(__name__)

MIN_INTERVAL_SECONDS = 10
WEBHOOK_TIMEOUT_SECONDS = 5.0
MAX_AUTO_OPTIMIZE_FILES = 5
FILE_PATTERN = "*.py"


class MonitorNotFound(LookupError):
    """No monitor with that id."""


def new_monitor_id() -> str:
    return f"mon_{int(time.time())}_{secrets.token_hex(4)}"


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def monitor_to_dict(row: Monitor, *, with_files: bool = False) -> dict[str, Any]:
    last = dict(row.last_result or {})
    if not with_files:
        last.pop("files", None)
    return {
        "monitor_id": row.id,
        "directory": row.directory,
        "interval_seconds": row.interval_seconds,
        "auto_optimize": row.auto_optimize,
        "notification_webhook": row.notification_webhook,
        "active": row.active,
        "created_at": _iso(row.created_at),
        "last_run_at": _iso(row.last_run_at),
        "last_fingerprint": row.last_fingerprint,
        "last_result": last or None,
    }


# -- CRUD ------------------------------------------------------------------------------------


def create_monitor(directory: str, *, interval_seconds: int = 300, auto_optimize: bool = False,
                   notification_webhook: str | None = None, claim: bool = False,
                   url: str | None = None) -> dict[str, Any]:
    """Insert an active monitor. ``claim=True`` marks its first run as started now (the
    caller queues that run itself), so a scheduler tick does not start a second one."""
    if interval_seconds < MIN_INTERVAL_SECONDS:
        raise ValueError(f"interval_seconds must be at least {MIN_INTERVAL_SECONDS}")
    if notification_webhook and not notification_webhook.startswith(("http://", "https://")):
        raise ValueError("notification_webhook must be an http(s) URL")
    row = Monitor(id=new_monitor_id(), directory=str(directory),
                  interval_seconds=int(interval_seconds), auto_optimize=bool(auto_optimize),
                  notification_webhook=notification_webhook or None, active=True,
                  created_at=datetime.now(UTC),
                  last_run_at=datetime.now(UTC) if claim else None)
    with session_scope(url) as session:
        session.add(row)
        session.flush()
        return monitor_to_dict(row)


def get_monitor(monitor_id: str, *, url: str | None = None) -> dict[str, Any] | None:
    with session_scope(url) as session:
        row = session.get(Monitor, monitor_id)
        return monitor_to_dict(row) if row is not None else None


def list_monitors(*, include_inactive: bool = False, url: str | None = None
                  ) -> list[dict[str, Any]]:
    query = select(Monitor).order_by(Monitor.created_at.desc(), Monitor.id)
    if not include_inactive:
        query = query.where(Monitor.active.is_(True))
    with session_scope(url) as session:
        return [monitor_to_dict(row) for row in session.scalars(query)]


def stop_monitor(monitor_id: str, *, url: str | None = None) -> dict[str, Any]:
    """Deactivate a monitor (its row and last result stay); MonitorNotFound if unknown."""
    with session_scope(url) as session:
        row = session.get(Monitor, monitor_id)
        if row is None:
            raise MonitorNotFound(monitor_id)
        row.active = False
        session.flush()
        return monitor_to_dict(row)


def claim_due_monitors(*, now: datetime | None = None, url: str | None = None) -> list[str]:
    """Ids of active monitors whose interval elapsed, each claimed by moving its
    ``last_run_at`` to ``now`` with a conditional update (so two schedulers never both
    claim one run)."""
    now = now or datetime.now(UTC)
    claimed: list[str] = []
    with session_scope(url) as session:
        rows = session.execute(select(Monitor.id, Monitor.last_run_at, Monitor.interval_seconds)
                               .where(Monitor.active.is_(True))).all()
    for monitor_id, last_run_at, interval in rows:
        if last_run_at is not None:
            last = last_run_at if last_run_at.tzinfo else last_run_at.replace(tzinfo=UTC)
            if last + timedelta(seconds=interval) > now:
                continue
        condition = (Monitor.last_run_at.is_(None) if last_run_at is None
                     else Monitor.last_run_at == last_run_at)
        with session_scope(url) as session:
            result = session.execute(update(Monitor)
                                     .where(Monitor.id == monitor_id, condition)
                                     .values(last_run_at=now))
            if result.rowcount == 1:
                claimed.append(monitor_id)
    return claimed


# -- one run ---------------------------------------------------------------------------------


def fingerprint_directory(directory: str | os.PathLike[str], file_pattern: str = FILE_PATTERN
                          ) -> dict[str, list[Any]]:
    """``{relative path: [mtime_ns, size, sha256]}`` for the matching files."""
    from core.analysis.scanner import discover

    root = Path(directory)
    prints: dict[str, list[Any]] = {}
    for rel in discover(root, file_pattern):
        path = root / rel
        try:
            stat = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:  # vanished between discovery and reading
            continue
        prints[rel.replace(os.sep, "/")] = [stat.st_mtime_ns, stat.st_size, digest]
    return prints


def overall_fingerprint(prints: dict[str, list[Any]]) -> str:
    blob = json.dumps(sorted(prints.items()), separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def diff_fingerprints(old: dict[str, list[Any]] | None, new: dict[str, list[Any]]
                      ) -> dict[str, list[str]]:
    old = old or {}
    return {
        "added": sorted(set(new) - set(old)),
        "modified": sorted(p for p in set(new) & set(old) if new[p][2] != old[p][2]),
        "removed": sorted(set(old) - set(new)),
    }


def send_webhook(url: str, payload: dict[str, Any], *, timeout: float = WEBHOOK_TIMEOUT_SECONDS
                 ) -> dict[str, Any]:
    """POST ``payload`` as JSON; ``{"sent": bool, "status"|"error": ...}``, never raises."""
    if not url.startswith(("http://", "https://")):
        return {"sent": False, "error": "notification_webhook is not an http(s) URL"}
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "velox-monitor"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return {"sent": True, "status": response.status}
    except urllib.error.HTTPError as exc:
        log.warning("monitor webhook %s answered %s", url, exc.code)
        return {"sent": False, "status": exc.code, "error": f"HTTP {exc.code}"}
    except (OSError, ValueError) as exc:
        log.warning("monitor webhook %s failed: %s", url, exc)
        return {"sent": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def run_monitor_once(monitor_id: str, *, settings: Settings | None = None,
                     progress: Progress = no_progress) -> dict[str, Any]:
    """One run of the monitor (see the module docstring); returns what it stored as
    ``last_result`` (without the per-file fingerprints)."""
    from core.analysis.scanner import analyze_many, file_entry, hotspots

    settings = settings or get_settings()
    url = settings.database_url
    with session_scope(url) as session:
        row = session.get(Monitor, monitor_id)
        if row is None:
            raise MonitorNotFound(monitor_id)
        directory, auto_optimize = row.directory, row.auto_optimize
        webhook = row.notification_webhook
        previous = (row.last_result or {}).get("files")
    started = datetime.now(UTC)
    root = Path(directory)
    resolved = root.resolve()
    error = None
    if not any(resolved == r or resolved.is_relative_to(r) for r in settings.allowed_code_roots):
        # Checked again at every run: the roots of the worker may differ, or have shrunk.
        error = f"directory {directory} is outside ALLOWED_CODE_ROOTS"
    elif not root.is_dir():
        error = f"directory {directory} does not exist or is not a directory"
    if error:
        _record_error(monitor_id, started, error, url)
        raise ValueError(error)
    progress(phase="fingerprinting", progress=0.0)
    prints = fingerprint_directory(root)
    changes = diff_fingerprints(previous, prints)
    changed = changes["added"] + changes["modified"]
    progress(phase="analyzing", progress=0.2)
    analyses = analyze_many([(str(root / rel), rel, True) for rel in changed])
    result: dict[str, Any] = {
        "run_at": _iso(started),
        "error": None,
        "directory": directory,
        "first_run": previous is None,
        "files_watched": len(prints),
        "changed_files": changed,
        **changes,
        "scan_results": [file_entry(a) for a in analyses],
        "hotspots": hotspots(analyses),
        "optimizations": [],
    }
    if auto_optimize and changed:
        result["optimizations"] = _auto_optimize(root, analyses, settings, progress)
    anything = bool(changed or changes["removed"])
    result["notification"] = None
    if webhook and anything:
        progress(phase="notifying", progress=0.9)
        result["notification"] = send_webhook(webhook, _payload(monitor_id, result))
    stored = dict(result, files=prints)
    with session_scope(url) as session:
        row = session.get(Monitor, monitor_id)
        if row is None:  # deleted while running
            raise MonitorNotFound(monitor_id)
        row.last_run_at = started
        row.last_fingerprint = overall_fingerprint(prints)
        row.last_result = stored
    progress(phase="done", progress=1.0)
    return result


def _record_error(monitor_id: str, started: datetime, error: str, url: str) -> None:
    """Keep the previous fingerprints (the next good run compares against them) and say
    what went wrong, for ``GET /pipeline/status``."""
    with session_scope(url) as session:
        row = session.get(Monitor, monitor_id)
        if row is not None:
            row.last_run_at = started
            row.last_result = {**(row.last_result or {}), "run_at": _iso(started),
                               "error": error}


def _auto_optimize(root: Path, analyses: list[Any], settings: Settings, progress: Progress
                   ) -> list[dict[str, Any]]:
    from core.optimize.pipeline import optimize_file

    targets = [a for a in analyses if not a.error and a.findings][:MAX_AUTO_OPTIMIZE_FILES]
    out = []
    for i, analysis in enumerate(targets):
        progress(phase=f"optimizing {analysis.file_path}",
                 progress=0.3 + 0.6 * i / max(len(targets), 1))
        try:
            outcome = optimize_file(root / analysis.file_path, settings=settings,
                                    project_dir=str(root), run_validation=True)
            body = outcome.to_response()
            out.append({"file_path": analysis.file_path, "status": "success",
                        "suggestions": body["suggestions"], "attempts": body["attempts"],
                        "error": None})
        except Exception as exc:  # one file's failure must not end the run
            out.append({"file_path": analysis.file_path, "status": "failed", "suggestions": [],
                        "attempts": [],
                        "error": f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]})
    return out


def _payload(monitor_id: str, result: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": "velox.monitor.changes",
        "monitor_id": monitor_id,
        "directory": result["directory"],
        "run_at": result["run_at"],
        "added": result["added"],
        "modified": result["modified"],
        "removed": result["removed"],
        "hotspots": result["hotspots"],
        "suggestions": sum(len(o["suggestions"]) for o in result["optimizations"]),
    }


def run_monitor(params: dict[str, Any], progress: Progress = no_progress) -> dict[str, Any]:
    """Job function of kind ``monitor``: ``params = {"monitor_id": ...}``."""
    monitor_id = params.get("monitor_id") if isinstance(params, dict) else None
    if not isinstance(monitor_id, str) or not monitor_id:
        raise ValueError("monitor_id is required")
    result = run_monitor_once(monitor_id, progress=progress)
    return {"monitor_id": monitor_id, **result}


def run_due_monitors(submit: Any, *, url: str | None = None) -> list[dict[str, Any]]:
    """Claim the due monitors and hand each to ``submit(monitor_id)`` (which queues a
    ``monitor`` job); returns ``[{monitor_id, job_id | error}]``."""
    started = []
    for monitor_id in claim_due_monitors(url=url):
        try:
            job = submit(monitor_id)
            started.append({"monitor_id": monitor_id, "job_id": job.get("job_id")})
        except Exception as exc:  # the broker may be down; the next tick retries
            log.warning("could not start monitor %s: %s", monitor_id, exc)
            started.append({"monitor_id": monitor_id, "error": str(exc)[:300]})
    return started


def job_counts(*, since: datetime | None = None, url: str | None = None
               ) -> dict[str, dict[str, int]]:
    """``{kind: {status: count}}`` over jobs created since ``since`` (default: 24 h)."""
    from sqlalchemy import func

    from core.storage.models import Job

    since = since or datetime.now(UTC) - timedelta(hours=24)
    query = (select(Job.kind, Job.status, func.count()).where(Job.created_at >= since)
             .group_by(Job.kind, Job.status))
    counts: dict[str, dict[str, int]] = {}
    with session_scope(url) as session:
        for kind, status, n in session.execute(query):
            counts.setdefault(kind, {})[status] = n
    return counts


__all__ = [
    "MonitorNotFound", "claim_due_monitors", "create_monitor", "diff_fingerprints",
    "fingerprint_directory", "get_monitor", "job_counts", "list_monitors", "run_due_monitors",
    "run_monitor", "run_monitor_once", "send_webhook", "stop_monitor",
]
