"""POST /scan/repository, /optimize/repository (validation: no job is created for bad
input), POST /monitor/directory, GET /pipeline/status, DELETE /monitor/<id>.

The clone-and-scan path itself is tested against a loopback git server in
tests/core/repository (the API accepts github.com only, which this machine cannot reach).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from api.app import create_app
from core.settings import Settings
from core.storage import jobs


@pytest.fixture
def client(sqlite_settings: Settings):
    return create_app(sqlite_settings).test_client()


def _no_jobs(kind: str) -> bool:
    return jobs.list_jobs(limit=5, kind=kind) == []


@pytest.mark.parametrize("endpoint,kind", [("/scan/repository", "repository_scan"),
                                           ("/optimize/repository", "repository_optimize")])
@pytest.mark.parametrize("url,why", [
    ("https://gitlab.com/owner/repo", "not on github.com"),
    ("http://127.0.0.1:8000/owner/repo", "not on github.com"),
    ("file:///srv/repo", "HTTPS GitHub URL"),
    ("ssh://git@github.com/owner/repo", "HTTPS GitHub URL"),
    ("git@github.com:owner/repo.git", "SSH"),
    ("https://x:y@github.com/owner/repo", "credentials"),
    ("https://github.com/owner/../etc", "'..'"),
])
def test_repository_url_policy_is_422(client, endpoint, kind, url, why) -> None:
    response = client.post(endpoint, json={"repository_url": url})
    assert response.status_code == 422
    body = response.get_json()
    assert body["fields"][0]["field"] == "repository_url"
    assert why in body["fields"][0]["message"]
    assert _no_jobs(kind)


@pytest.mark.parametrize("extra,field", [
    ({"ref": "../../etc"}, "ref"),
    ({"ref": "-upload-pack=evil"}, "ref"),
    ({"max_files": 0}, "max_files"),
    ({"min_complexity": 101}, "min_complexity"),
    ({"background": "yes"}, "background"),
    ({"branch": "main"}, "branch"),
])
def test_scan_repository_field_errors(client, extra, field) -> None:
    response = client.post("/scan/repository",
                           json={"repository_url": "https://github.com/o/r", **extra})
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == field
    assert _no_jobs("repository_scan")


@pytest.mark.parametrize("extra,field", [
    ({"max_suggestions_per_file": 0}, "max_suggestions_per_file"),
    ({"objective_weights": {"runtime": 0, "memory": 0}}, "objective_weights"),
    ({"enable_cross_file_context": "true"}, "enable_cross_file_context"),
    ({"run_validation": 1}, "run_validation"),
])
def test_optimize_repository_field_errors(client, extra, field) -> None:
    response = client.post("/optimize/repository",
                           json={"repository_url": "https://github.com/o/r", **extra})
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == field


def test_missing_repository_url_is_named(client) -> None:
    response = client.post("/scan/repository", json={})
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == "repository_url"


def _wait_finished(job_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get_job(job_id)
        if job and job["finished"]:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {jobs.get_job(job_id)}")


def test_monitor_lifecycle(client, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "slow.py").write_text("def f(xs):\n    s = ''\n    for x in xs:\n        s += x\n"
                                 "    return s\n")
    response = client.post("/monitor/directory",
                           json={"directory": str(src), "interval_seconds": 60})
    assert response.status_code == 201
    created = response.get_json()
    assert created["active"] is True and created["interval_seconds"] == 60
    assert created["auto_optimize"] is False and created["notification_webhook"] is None
    job = _wait_finished(created["first_run_job_id"])
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["added"] == ["slow.py"]

    status = client.get("/pipeline/status").get_json()
    assert status["mode"] == "embedded" and status["active_monitors"] == 1
    listed = status["monitors"][0]
    assert listed["monitor_id"] == created["monitor_id"]
    assert listed["last_run_at"] is not None
    assert listed["last_changes"]["added"] == ["slow.py"]
    assert listed["last_changes"]["hotspots"][0]["file_path"] == "slow.py"
    assert status["jobs"]["monitor"] == {"succeeded": 1}

    stopped = client.delete(f"/monitor/{created['monitor_id']}")
    assert stopped.status_code == 200 and stopped.get_json()["active"] is False
    assert client.get("/pipeline/status").get_json()["active_monitors"] == 0
    assert client.delete("/monitor/mon_unknown").status_code == 404


@pytest.mark.parametrize("extra,field,status", [
    ({"interval_seconds": 5}, "interval_seconds", 422),
    ({"notification_webhook": "ftp://hooks.example/x"}, "notification_webhook", 422),
    ({"notification_webhook": "not a url"}, "notification_webhook", 422),
    ({"auto_optimize": "yes"}, "auto_optimize", 422),
    ({"every": 5}, "every", 422),
])
def test_monitor_validation(client, tmp_path: Path, extra, field, status) -> None:
    response = client.post("/monitor/directory", json={"directory": str(tmp_path), **extra})
    assert response.status_code == status
    assert response.get_json()["fields"][0]["field"] == field
    assert _no_jobs("monitor")


def test_monitor_directory_confined(client, tmp_path: Path) -> None:
    response = client.post("/monitor/directory", json={"directory": str(tmp_path.parent)})
    assert response.status_code == 403
    missing = client.post("/monitor/directory", json={"directory": str(tmp_path / "nope")})
    assert missing.status_code == 422
    assert client.get("/pipeline/status").get_json()["monitors"] == []


def test_embedded_scheduler_thread_runs_due_monitors(sqlite_settings, tmp_path: Path,
                                                     monkeypatch) -> None:
    import gc

    import api.blueprints.monitor as monitor_bp
    from core import monitor as mon

    monkeypatch.setattr(monitor_bp, "SCHEDULER_TICK_SECONDS", 0.2)
    (tmp_path / "w.py").write_text("W = 1\n")
    mid = mon.create_monitor(str(tmp_path), interval_seconds=10)["monitor_id"]  # due now
    app = create_app(sqlite_settings)
    deadline = time.monotonic() + 20
    while mon.get_monitor(mid)["last_result"] is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert mon.get_monitor(mid)["last_result"]["added"] == ["w.py"]
    assert jobs.list_jobs(kind="monitor")[0]["params"] == {"monitor_id": mid}
    del app
    gc.collect()  # the thread notices its app is gone and ends
    deadline = time.monotonic() + 5

    def running() -> bool:
        return any(key[1] == sqlite_settings.database_url for key in monitor_bp._started)

    while running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running()


def test_monitor_with_broker_down_is_503_and_left_inactive(configure_settings,
                                                          tmp_path: Path) -> None:
    # A real broker URL nobody listens on (closed loopback port).
    import socket

    from core import monitor as mon
    from core.storage.migrate import upgrade_database

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = configure_settings(REDIS_URL=f"redis://127.0.0.1:{port}/0")
    upgrade_database(settings.database_url, quiet=True)
    client = create_app(settings).test_client()
    response = client.post("/monitor/directory", json={"directory": str(tmp_path)})
    assert response.status_code == 503
    [row] = mon.list_monitors(include_inactive=True)
    assert row["active"] is False
    assert mon.claim_due_monitors() == []


@pytest.mark.parametrize("message,field", [
    ("ref 'nope' is not a branch, tag or commit of the repository", "ref"),
    ("cannot clone https://github.com/o/r.git: HTTPUnauthorized: No valid credentials",
     "repository_url"),
])
def test_failed_clone_job_becomes_422(sqlite_settings, message, field) -> None:
    from api.blueprints.repository import _bad_ref_or_url
    from api.errors import ApiError
    from core.repository import RepositoryError
    from tasks.runner import one_line_error

    job = jobs.create_job("repository_scan", {}, status="queued")
    jobs.finish_job(job["job_id"], status="failed", error=one_line_error(RepositoryError(message)))
    with pytest.raises(ApiError) as info:
        _bad_ref_or_url(jobs.get_job(job["job_id"]))
    assert info.value.status == 422
    assert info.value.fields == [{"field": field, "message": message}]
    other = jobs.create_job("repository_scan", {}, status="queued")
    jobs.finish_job(other["job_id"], status="failed", error="OSError: disk full")
    _bad_ref_or_url(jobs.get_job(other["job_id"]))  # not the client's fault: left to the 500
