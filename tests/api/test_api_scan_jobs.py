"""POST /scan end to end: embedded (in process) and distributed (a real Celery worker on
Redis, PostgreSQL), read back over HTTP with GET /jobs/<id>."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from api.app import create_app
from core.settings import Settings

SLOW = '''
def pairs(items):
    out = []
    for a in items:
        for b in items:
            if a != b:
                out.append((a, b))
    return out


def total(values):
    s = ""
    for v in values:
        s += str(v)
    return s
'''
SIMPLE = "def one():\n    return 1\n"


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "slow.py").write_text(SLOW)
    (root / "simple.py").write_text(SIMPLE)
    (root / "notes.txt").write_text("not python")
    return root


def _poll(client, job_id: str, timeout: float = 60.0) -> tuple[dict, list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").get_json()
        if not seen or seen[-1] != job["status"]:
            seen.append(job["status"])
        if job["finished"]:
            return job, seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish; statuses seen: {seen}")


def _check_body(body: dict, root: Path) -> None:
    paths = sorted(r["file_path"] for r in body["scan_results"])
    assert paths == sorted([str(root / "pkg" / "slow.py"), str(root / "simple.py")])
    assert body["summary"]["total_files"] == 2
    slow = next(r for r in body["scan_results"] if r["file_path"].endswith("slow.py"))
    assert slow["functions"] == 2 and slow["lines_of_code"] > 5
    assert slow["complexity_score"] > next(
        r for r in body["scan_results"] if r["file_path"].endswith("simple.py"))["complexity_score"]


def test_embedded_synchronous_scan(sqlite_settings: Settings, code_dir: Path):
    client = create_app(sqlite_settings).test_client()
    response = client.post("/scan", json={"directory": str(code_dir), "file_pattern": "*.py",
                                          "include_metrics": True})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    _check_body(body, code_dir)
    job = client.get(f"/jobs/{response.headers['X-Job-Id']}").get_json()
    assert job["kind"] == "scan" and job["status"] == "succeeded"
    assert job["worker"].startswith("embedded:") and job["result"] == body


def test_embedded_background_scan(sqlite_settings: Settings, code_dir: Path):
    client = create_app(sqlite_settings).test_client()
    response = client.post("/scan", json={"directory": str(code_dir), "background": True})
    assert response.status_code == 202
    accepted = response.get_json()
    assert accepted["status"] == "queued" and response.headers["Location"] == accepted["status_url"]
    job, seen = _poll(client, accepted["job_id"])
    assert job["status"] == "succeeded" and set(seen) <= {"queued", "started", "succeeded"}
    _check_body(job["result"], code_dir)


def test_relative_directory_is_resolved_and_confined(sqlite_settings: Settings, code_dir: Path,
                                                     monkeypatch):
    monkeypatch.chdir(code_dir.parent)
    client = create_app(sqlite_settings).test_client()
    response = client.post("/scan", json={"directory": "project/pkg/../"})
    assert response.status_code == 200
    _check_body(response.get_json(), code_dir)


@pytest.mark.slow
def test_scan_through_a_real_worker_matches_embedded(celery_worker_proc,
                                                     distributed_settings: Settings,
                                                     configure_settings, code_dir: Path):
    """queued → started → succeeded on the cpu queue, result read back over HTTP; the same
    request in embedded mode gives the same body."""
    client = create_app(distributed_settings).test_client()
    response = client.post("/scan", json={"directory": str(code_dir), "background": True})
    assert response.status_code == 202
    accepted = response.get_json()
    assert accepted["status"] == "queued"  # the row was written before the task was sent
    job, seen = _poll(client, accepted["job_id"])
    assert job["status"] == "succeeded", job
    assert seen[-1] == "succeeded" and set(seen) <= {"queued", "started", "succeeded"}
    # It passed through "started" even if the poll was too slow to see it.
    assert job["started_at"] is not None and job["attempts"] == 1
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]
    assert job["worker"].startswith(celery_worker_proc.hostname)
    _check_body(job["result"], code_dir)

    sync = client.post("/scan", json={"directory": str(code_dir)})  # waits for the worker
    assert sync.status_code == 200
    sync_job = client.get(f"/jobs/{sync.headers['X-Job-Id']}").get_json()
    assert sync_job["worker"].startswith(celery_worker_proc.hostname)

    embedded = configure_settings(REDIS_URL=None)
    assert embedded.embedded
    local = create_app(embedded).test_client().post("/scan", json={"directory": str(code_dir)})
    assert local.status_code == 200
    assert local.get_json() == sync.get_json() == job["result"]
