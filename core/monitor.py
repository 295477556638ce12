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
   (``WEBHOOK_TIMEOUT_SECONDS``, redirects not followed); a failure or a refusal is logged
   and recorded in the result, never fatal;
6. store ``last_run_at``, ``last_fingerprint`` (SHA-256 over all file fingerprints) and
   ``last_result`` on the monitor row.

Webhook policy (against server-side request forgery): only ``http``/``https``, and the
host's addresses after DNS resolution must all be public unicast ones; loopback,
private, link-local, multicast, reserved, unspecified and other non-global addresses
(IPv4 inside IPv6 included) are refused unless ``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` is set.
The check runs when a monitor is created (the API answers 400) and again at every
delivery, and the delivery connects to an address that check approved rather than
resolving the name a second time, so a DNS answer that changes in between (rebinding)
cannot redirect it; TLS still verifies the certificate against the host name.

Scheduling: ``claim_due_monitors`` atomically moves ``last_run_at`` of each active monitor
whose interval has elapsed to now and returns their ids, so a Celery beat entry and the
API's embedded scheduler thread (and several API processes) never start the same run twice.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import ipaddress
import json
import logging
import os
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

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


class WebhookRefused(ValueError):
    """The webhook policy refuses this ``notification_webhook`` (the message says why)."""


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
                   url: str | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Insert an active monitor. ``claim=True`` marks its first run as started now (the
    caller queues that run itself), so a scheduler tick does not start a second one.
    WebhookRefused (a ValueError) when the webhook policy refuses ``notification_webhook``
    (with ``settings``' WEBHOOK_ALLOW_PRIVATE_NETWORKS; default: the configured settings)."""
    if interval_seconds < MIN_INTERVAL_SECONDS:
        raise ValueError(f"interval_seconds must be at least {MIN_INTERVAL_SECONDS}")
    if notification_webhook:
        settings = settings or get_settings()
        check_webhook_url(notification_webhook,
                          allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)
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


# -- webhooks --------------------------------------------------------------------------------

_NON_PUBLIC = (("is_loopback", "loopback"), ("is_link_local", "link-local"),
               ("is_multicast", "multicast"), ("is_unspecified", "unspecified"),
               ("is_reserved", "reserved"), ("is_private", "private"))


def non_public_reason(address: str) -> str | None:
    """Why ``address`` is not a public unicast address (``"loopback"``, ``"private"``,
    ...), or None when it is one. IPv4 carried inside IPv6 (mapped, 6to4, Teredo) is
    judged by that IPv4 address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and (reason := non_public_reason(str(inner))):
            return reason
    for attribute, reason in _NON_PUBLIC:
        if getattr(ip, attribute):
            return reason
    return None if ip.is_global else "non-global"


def resolve_addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order (tests replace this)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """A webhook URL the policy accepted, with the addresses it was checked against."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, what goes on the request line
    addresses: tuple[str, ...]
    authorization: str | None = None  # Basic credentials from the URL's user:password@


def check_webhook_url(url: str, *, allow_private: bool = False) -> WebhookTarget:
    """Apply the webhook policy (module docstring) to ``url``: resolve its host and return
    the target with the approved addresses, or raise WebhookRefused saying why."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("notification_webhook must be an http:// or https:// URL with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookRefused("notification_webhook has an invalid port") from None
    host = parts.hostname
    literal = True
    try:
        addresses = [str(ipaddress.ip_address(host))]  # a literal address: nothing to resolve
    except ValueError:
        literal = False
        try:
            addresses = resolve_addresses(host, port)
        except (OSError, UnicodeError) as exc:
            raise WebhookRefused(f"notification_webhook host {host} does not resolve "
                                 f"({type(exc).__name__}: {exc})") from None
    if not addresses:
        raise WebhookRefused(f"notification_webhook host {host} does not resolve")
    if not allow_private:
        for address in addresses:
            if reason := non_public_reason(address):
                shown = host if literal else f"{host} resolves to {address}, which"
                raise WebhookRefused(
                    f"notification_webhook {shown} is a {reason} address; webhooks may only "
                    "target public addresses unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=true")
    authorization = None
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(credentials.encode()).decode()
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(parts.scheme, host, port, target, tuple(addresses), authorization)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an approved address; the Host header still names the URL's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to an approved address; SNI and certificate checks use the URL's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def _connect(target: WebhookTarget, timeout: float) -> http.client.HTTPConnection:
    """A connection to the first approved address that answers (like create_connection)."""
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    error: OSError | None = None
    for address in target.addresses:
        conn = cls(target.host, target.port, address, timeout)
        try:
            conn.connect()
            return conn
        except OSError as exc:
            conn.close()
            error = exc
    assert error is not None  # check_webhook_url never returns an empty address list
    raise error


def _shown(url: str) -> str:
    """The URL for the log without what often carries a secret (credentials, path, query)."""
    try:
        parts = urlsplit(url)
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
        return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}/..."
    except ValueError:
        return "(invalid URL)"


def send_webhook(url: str, payload: dict[str, Any], *, timeout: float = WEBHOOK_TIMEOUT_SECONDS,
                 allow_private: bool = False) -> dict[str, Any]:
    """POST ``payload`` as JSON under the webhook policy (``allow_private``: the
    WEBHOOK_ALLOW_PRIVATE_NETWORKS setting); ``{"sent": bool, "status"|"error": ...}``,
    never raises. Redirects are not followed (one could point at an internal address)."""
    try:
        target = check_webhook_url(url, allow_private=allow_private)
    except WebhookRefused as exc:
        log.warning("monitor webhook %s refused: %s", _shown(url), exc)
        return {"sent": False, "error": f"refused: {exc}"}
    headers = {"Content-Type": "application/json", "User-Agent": "velox-monitor"}
    if target.authorization:
        headers["Authorization"] = target.authorization
    conn: http.client.HTTPConnection | None = None
    try:
        conn = _connect(target, timeout)
        conn.request("POST", target.target, body=json.dumps(payload).encode(), headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)
        status = response.status
    except (OSError, http.client.HTTPException, ValueError) as exc:
        log.warning("monitor webhook %s failed: %s", _shown(url), exc)
        return {"sent": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    finally:
        if conn is not None:
            conn.close()
    if 200 <= status < 300:
        return {"sent": True, "status": status}
    log.warning("monitor webhook %s answered %s", _shown(url), status)
    error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
    return {"sent": False, "status": status, "error": error}


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
        result["notification"] = send_webhook(
            webhook, _payload(monitor_id, result),
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)
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
    "MonitorNotFound", "WebhookRefused", "WebhookTarget", "check_webhook_url",
    "claim_due_monitors", "create_monitor", "diff_fingerprints", "fingerprint_directory",
    "get_monitor", "job_counts", "list_monitors", "non_public_reason", "resolve_addresses",
    "run_due_monitors", "run_monitor", "run_monitor_once", "send_webhook", "stop_monitor",
]
