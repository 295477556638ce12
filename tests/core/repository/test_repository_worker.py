"""Repository scans and monitor runs as jobs on a real Celery worker (Redis broker,
PostgreSQL), the path the API takes when a broker is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.app import create_app
from core.settings import Settings
from tasks.dispatch import submit, wait_for_job


@pytest.mark.slow
def test_repository_scan_on_a_worker(celery_worker_proc, distributed_settings: Settings,
                                     served_repo) -> None:
    job = submit("repository_scan", {"repository_url": served_repo.url, "ref": "v1",
                                     "min_complexity": 0, "allowed_hosts": ["127.0.0.1"]},
                 background=True, settings=distributed_settings)
    assert job["status"] == "queued"
    done = wait_for_job(job["job_id"], timeout=60)
    assert done["status"] == "succeeded", done["error"]
    assert done["worker"].startswith(celery_worker_proc.hostname)
    assert done["result"]["ref_kind"] == "tag"
    assert done["result"]["commit"] == served_repo.first_commit


@pytest.mark.slow
def test_monitor_first_run_on_a_worker(celery_worker_proc, distributed_settings: Settings,
                                       tmp_path: Path) -> None:
    src = tmp_path / "watched"
    src.mkdir()
    (src / "m.py").write_text("M = 1\n")
    client = create_app(distributed_settings).test_client()
    created = client.post("/monitor/directory", json={"directory": str(src),
                                                      "interval_seconds": 3600})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    job = wait_for_job(body["first_run_job_id"], timeout=60)
    assert job["status"] == "succeeded", job["error"]
    assert job["worker"].startswith(celery_worker_proc.hostname)
    status = client.get("/pipeline/status").get_json()
    assert status["scheduler"].startswith("celery beat")
    mine = next(m for m in status["monitors"] if m["monitor_id"] == body["monitor_id"])
    assert mine["last_changes"]["added"] == ["m.py"]
    assert client.delete(f"/monitor/{body['monitor_id']}").status_code == 200
