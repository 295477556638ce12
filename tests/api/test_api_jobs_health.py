"""GET /jobs, GET /jobs/<id>, /health/details — embedded, and against a real worker."""

from __future__ import annotations

import time

import pytest

from api.app import create_app
from core.settings import Settings
from core.storage import jobs
from core.storage.migrate import head_revision


@pytest.fixture
def client(sqlite_settings: Settings):
    return create_app(sqlite_settings).test_client()


def test_get_job_returns_the_row(client):
    job = jobs.create_job("ping", {"delay_seconds": 0}, status="queued")
    body = client.get(f"/jobs/{job['job_id']}").get_json()
    assert body == job


def test_unknown_job_is_404_naming_the_id(client):
    response = client.get("/jobs/job_1_00000000")
    assert response.status_code == 404
    body = response.get_json()
    assert "job_1_00000000" in body["message"] and body["fields"][0]["field"] == "job_id"


def test_list_jobs_with_limit_and_filters(client):
    made = [jobs.create_job(kind, {}, status="queued") for kind in ("ping", "scan", "ping")]
    body = client.get("/jobs?limit=2").get_json()
    assert body["count"] == 2 and [j["job_id"] for j in body["jobs"]] == [
        made[2]["job_id"], made[1]["job_id"]]
    assert {j["kind"] for j in client.get("/jobs?kind=ping").get_json()["jobs"]} == {"ping"}


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=abc", "limit"),
                                          ("limit=101", "limit"), ("colour=red", "colour")])
def test_bad_list_query_is_422(client, query, field):
    response = client.get(f"/jobs?{query}")
    assert response.status_code == 422
    assert [f["field"] for f in response.get_json()["fields"]] == [field]


def test_details_in_embedded_mode(client, sqlite_settings: Settings):
    body = client.get("/health/details").get_json()
    assert body["status"] == "healthy" and body["mode"] == "embedded"
    assert body["database"] == {"status": "ok", "backend": "sqlite", "revision": head_revision(),
                                "head": head_revision()}
    assert body["broker"]["status"] == "embedded" and body["workers"]["status"] == "embedded"
    assert body["model"]["status"] == "missing"
    assert body["model"]["checkpoint"] == str(sqlite_settings.model_dir / "dqn_model.pth")


def test_details_sees_a_checkpoint(client, sqlite_settings: Settings):
    sqlite_settings.model_dir.mkdir(parents=True)
    (sqlite_settings.model_dir / "dqn_model.pth").write_bytes(b"\0" * 123)
    model = client.get("/health/details").get_json()["model"]
    assert model["status"] == "present" and model["size_bytes"] == 123
    assert model["checkpoints"] == ["dqn_model.pth"]


def test_details_probe_runs_a_job_in_process(client):
    body = client.get("/health/details?probe=true").get_json()
    probe = body["probe"]
    assert probe["status"] == "succeeded" and probe["worker"].startswith("embedded:")
    assert client.get(f"/jobs/{probe['job_id']}").get_json()["result"]["pong"] is True


def test_details_reports_an_unmigrated_database(configure_settings, tmp_path):
    settings = configure_settings(DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/"
                                               f"velox_nonexistent_{time.time_ns()}")
    app = create_app(settings)  # PostgreSQL is not auto-migrated
    body = app.test_client().get("/health/details").get_json()
    assert body["status"] == "degraded" and body["database"]["status"] == "error"
    assert "does not exist" in body["database"]["error"]


def test_details_reports_an_unreachable_broker(configure_settings, pg_database_url):
    settings = configure_settings(DATABASE_URL=pg_database_url,
                                  REDIS_URL="redis://127.0.0.1:1/0")
    body = create_app(settings).test_client().get("/health/details").get_json()
    assert body["status"] == "degraded" and body["mode"] == "distributed"
    assert body["broker"]["status"] == "error" and body["workers"]["online"] == 0


@pytest.mark.slow
def test_details_and_job_through_a_real_worker(celery_worker_proc,
                                               distributed_settings: Settings):
    """HTTP → Redis → worker process → PostgreSQL → HTTP: the probe job runs on the
    worker and its result is read back with GET /jobs/<id>."""
    client = create_app(distributed_settings).test_client()
    body = client.get("/health/details?probe=1").get_json()
    assert body["broker"] == {"status": "ok"}
    assert celery_worker_proc.hostname in body["workers"]["names"]
    assert celery_worker_proc.hostname in body["workers"]["queues"]["cpu"]
    assert celery_worker_proc.hostname in body["workers"]["queues"]["gpu"]
    assert body["database"]["backend"] == "postgresql"
    assert body["probe"]["status"] == "succeeded", body["probe"]
    assert body["status"] == "healthy"
    job = client.get(f"/jobs/{body['probe']['job_id']}").get_json()
    assert job["status"] == "succeeded" and job["worker"].startswith(celery_worker_proc.hostname)
    assert job["result"]["pong"] is True
