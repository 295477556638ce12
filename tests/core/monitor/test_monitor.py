"""Directory monitors: change detection between runs, webhook delivery to a real loopback
HTTP server (and a dead one), scheduling claims, job counts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core import monitor as mon
from core.storage.db import session_scope
from core.storage.models import Monitor
from tests.core.monitor.hooks import Hook, serve_hook

SLOW = "def dedupe(items):\n    out = []\n    for x in items:\n        if x not in out:\n" \
       "            out.append(x)\n    return out\n"


@pytest.fixture
def internal_hooks(sqlite_settings, configure_settings):
    """Settings that let webhooks reach the loopback test servers (the default refuses
    them; the policy itself is tested in tests/api/test_api_repository_monitor.py)."""
    return configure_settings(WEBHOOK_ALLOW_PRIVATE_NETWORKS="true")


@pytest.fixture
def webhook() -> Iterator[Hook]:
    with serve_hook() as hook:
        yield hook


def test_webhook_http_error_is_recorded_not_raised(internal_hooks, watched, webhook) -> None:
    webhook.status = 500
    mid = mon.create_monitor(str(watched), notification_webhook=webhook.url)["monitor_id"]
    result = mon.run_monitor_once(mid, settings=internal_hooks)
    assert result["notification"] == {"sent": False, "status": 500, "error": "HTTP 500"}
    assert len(webhook.requests) == 1


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def watched(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "slow.py").write_text(SLOW)
    (src / "other.py").write_text("X = 1\n")
    (src / "notes.txt").write_text("not python\n")
    return src


def test_only_changed_files_are_reported_and_notified(internal_hooks, watched, webhook) -> None:
    created = mon.create_monitor(str(watched), interval_seconds=10,
                                 notification_webhook=webhook.url)
    mid = created["monitor_id"]

    first = mon.run_monitor_once(mid, settings=internal_hooks)
    assert first["first_run"] is True
    assert first["added"] == ["other.py", "pkg/slow.py"] and first["files_watched"] == 2
    assert first["notification"] == {"sent": True, "status": 204}
    assert first["hotspots"][0]["file_path"] == "pkg/slow.py"

    (watched / "other.py").write_text("X = 2\n")
    second = mon.run_monitor_once(mid, settings=internal_hooks)
    assert second["first_run"] is False
    assert second["changed_files"] == ["other.py"]
    assert second["modified"] == ["other.py"] and second["added"] == []
    assert [r["file_path"] for r in second["scan_results"]] == ["other.py"]

    third = mon.run_monitor_once(mid, settings=internal_hooks)
    assert third["changed_files"] == [] and third["notification"] is None
    assert third["error"] is None

    (watched / "pkg" / "slow.py").unlink()
    fourth = mon.run_monitor_once(mid, settings=internal_hooks)
    assert fourth["removed"] == ["pkg/slow.py"]

    assert len(webhook.requests) == 3  # runs with changes only
    payload = webhook.requests[1]["json"]
    assert webhook.requests[1]["content_type"] == "application/json"
    assert payload["event"] == "velox.monitor.changes" and payload["monitor_id"] == mid
    assert payload["modified"] == ["other.py"] and payload["added"] == []

    stored = mon.get_monitor(mid)
    assert stored["last_result"]["removed"] == ["pkg/slow.py"]
    assert stored["last_fingerprint"] == mon.overall_fingerprint(
        mon.fingerprint_directory(watched))
    assert stored["last_run_at"] is not None


def test_dead_webhook_does_not_fail_the_run(internal_hooks, watched) -> None:
    mid = mon.create_monitor(str(watched), notification_webhook=
                             f"http://127.0.0.1:{_dead_port()}/hook")["monitor_id"]
    result = mon.run_monitor_once(mid, settings=internal_hooks)
    assert result["notification"]["sent"] is False
    assert "error" in result["notification"]
    assert mon.get_monitor(mid)["last_result"]["changed_files"] == ["other.py", "pkg/slow.py"]


def test_same_size_edit_is_detected_by_hash(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("A = 1\n")
    before = mon.fingerprint_directory(tmp_path)
    (tmp_path / "a.py").write_text("A = 2\n")
    after = mon.fingerprint_directory(tmp_path)
    assert after["a.py"][1] == before["a.py"][1]  # same size
    assert mon.diff_fingerprints(before, after) == {"added": [], "modified": ["a.py"],
                                                    "removed": []}


def test_claims_are_taken_once_per_interval(sqlite_settings, watched) -> None:
    a = mon.create_monitor(str(watched), interval_seconds=60)["monitor_id"]
    b = mon.create_monitor(str(watched), interval_seconds=10, claim=True)["monitor_id"]
    stopped = mon.create_monitor(str(watched), interval_seconds=10)["monitor_id"]
    mon.stop_monitor(stopped)
    assert mon.claim_due_monitors() == [a]  # b was claimed at creation, stopped is inactive
    assert mon.claim_due_monitors() == []
    later = datetime.now(UTC) + timedelta(seconds=30)
    assert mon.claim_due_monitors(now=later) == [b]
    assert sorted(mon.claim_due_monitors(now=later + timedelta(seconds=61))) == sorted([a, b])

    submitted = []
    with session_scope() as session:
        session.get(Monitor, a).last_run_at = None
    started = mon.run_due_monitors(lambda mid: submitted.append(mid) or {"job_id": "job_1"})
    assert started == [{"monitor_id": a, "job_id": "job_1"}] and submitted == [a]


def test_bad_input(sqlite_settings, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="interval_seconds"):
        mon.create_monitor(str(tmp_path), interval_seconds=5)
    with pytest.raises(ValueError, match="http"):
        mon.create_monitor(str(tmp_path), notification_webhook="ftp://x/y")
    with pytest.raises(mon.MonitorNotFound):
        mon.run_monitor_once("mon_missing", settings=sqlite_settings)
    with pytest.raises(mon.MonitorNotFound):
        mon.stop_monitor("mon_missing")
    with pytest.raises(ValueError, match="monitor_id"):
        mon.run_monitor({}, lambda **kw: None)
    gone = mon.create_monitor(str(tmp_path / "gone"))["monitor_id"]
    with pytest.raises(ValueError, match="does not exist"):
        mon.run_monitor_once(gone, settings=sqlite_settings)
    stored = mon.get_monitor(gone)
    assert "does not exist" in stored["last_result"]["error"]
    assert stored["last_run_at"] is not None
    outside = mon.create_monitor(str(tmp_path.parent))["monitor_id"]
    with pytest.raises(ValueError, match="outside ALLOWED_CODE_ROOTS"):
        mon.run_monitor_once(outside, settings=sqlite_settings)


def test_job_counts_group_by_kind_and_status(sqlite_settings) -> None:
    from core.storage import jobs as job_store

    job_store.create_job("monitor", {"monitor_id": "m"}, status="queued")
    job_store.create_job("monitor", {"monitor_id": "m"}, status="queued")
    done = job_store.create_job("scan", {}, status="queued")
    job_store.finish_job(done["job_id"], status="succeeded", result={})
    assert mon.job_counts() == {"monitor": {"queued": 2}, "scan": {"succeeded": 1}}


@pytest.mark.slow
def test_auto_optimize_changed_files(sqlite_settings, watched) -> None:
    mid = mon.create_monitor(str(watched), auto_optimize=True)["monitor_id"]
    result = mon.run_monitor_once(mid, settings=sqlite_settings)
    # Only files with findings are optimized; other.py has none.
    assert [o["file_path"] for o in result["optimizations"]] == ["pkg/slow.py"]
    optimized = result["optimizations"][0]
    assert optimized["status"] == "success" and optimized["error"] is None
    # The pipeline tried the dedupe rewrite and verified it; whether it is reported
    # depends on what the sandbox measured, and only validated rewrites are.
    assert "VXR003" in {a["rule_id"] for a in optimized["attempts"]}
    assert all(a["validation_status"] for a in optimized["attempts"])
    for suggestion in optimized["suggestions"]:
        assert suggestion["validation_status"] == "validated"
