"""POST /optimize and /optimize/file: validation, embedded runs and a real Celery worker."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from api.app import create_app
from core.settings import Settings

SLOW = (
    "def common(xs, ys):\n"
    "    out = []\n"
    "    for x in xs:\n"
    "        if x in ys:\n"
    "            out.append(x)\n"
    "    return out\n"
)

FIB = "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\nfib(22)\n"


@pytest.fixture
def client(sqlite_settings: Settings):
    return create_app(sqlite_settings).test_client()


def _poll(client, job_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.get_json()
        job = response.get_json()
        if job["finished"]:
            return job
        time.sleep(1.0)  # stays under the rate limit
    raise AssertionError(f"job {job_id} did not finish")


def test_missing_code_is_422_naming_the_field(client) -> None:
    response = client.post("/optimize", json={"max_suggestions": 2})
    assert response.status_code == 422
    assert {"field": "code", "message": "Field required"} in response.get_json()["fields"]


def test_code_that_does_not_parse_is_422(client) -> None:
    response = client.post("/optimize", json={"code": "def broken(:\n"})
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == "code"


def test_zero_weights_are_422(client) -> None:
    response = client.post("/optimize", json={"code": SLOW, "objective_weights": {"runtime": 0, "memory": 0}})
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == "objective_weights"


def test_inline_code_over_the_limit_is_413(configure_settings) -> None:
    settings = configure_settings(MAX_INLINE_CODE_CHARS=50)
    client = create_app(settings).test_client()
    response = client.post("/optimize", json={"code": SLOW})
    assert response.status_code == 413
    assert "MAX_INLINE_CODE_CHARS" in response.get_json()["message"]


def test_unit_test_command_needs_the_override(client, tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(SLOW)
    response = client.post("/optimize/file", json={"file_path": str(tmp_path / "m.py"),
                                                   "unit_test_command": "pytest {path}"})
    assert response.status_code == 403
    assert "ENABLE_API_UNIT_TEST_COMMAND_OVERRIDE" in response.get_json()["message"]


def test_file_outside_the_roots_is_403(client, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "m.py"
    outside.write_text(SLOW)
    response = client.post("/optimize/file", json={"file_path": str(outside)})
    assert response.status_code == 403


def test_non_python_file_is_422(client, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    response = client.post("/optimize/file", json={"file_path": str(tmp_path / "notes.txt")})
    assert response.status_code == 422


@pytest.mark.slow
def test_embedded_inline_optimization_returns_measured_suggestions(client) -> None:
    response = client.post("/optimize", json={"code": SLOW, "max_suggestions": 1,
                                              "objective_weights": {"runtime": 1.0, "memory": 0.0}})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["llm_provider"] is None
    assert body["processing_time_seconds"] > 0
    assert len(body["suggestions"]) <= 1
    assert body["attempts"], "the membership rule must at least have been tried"
    for suggestion in body["suggestions"]:
        assert suggestion["validation_status"] == "validated"
        assert suggestion["evidence"]["calls_compared"] >= 1
    job = client.get(f"/jobs/{response.headers['X-Job-Id']}").get_json()
    assert job["kind"] == "optimize" and job["status"] == "succeeded"


@pytest.mark.slow
def test_file_optimization_runs_the_module_tests(configure_settings, tmp_path: Path) -> None:
    settings = configure_settings(ENABLE_API_UNIT_TEST_COMMAND_OVERRIDE="true")
    client = create_app(settings).test_client()
    (tmp_path / "fibmod.py").write_text(FIB)
    (tmp_path / "test_fibmod.py").write_text(
        "from fibmod import fib\n\ndef test_fib():\n    assert [fib(i) for i in range(10)] == "
        "[0, 1, 1, 2, 3, 5, 8, 13, 21, 34]\n"
    )
    response = client.post("/optimize/file", json={"file_path": str(tmp_path / "fibmod.py"),
                                                   "background": True})
    assert response.status_code == 202
    job = _poll(client, response.get_json()["job_id"])
    assert job["status"] == "succeeded", job["error"]
    best = job["result"]["suggestions"][0]
    assert best["category"] == "caching_strategy"
    assert best["validation_status"] == "validated"
    assert best["evidence"]["tests_run"], "the module's test file must have run on the patched copy"


@pytest.mark.slow
def test_optimization_through_a_real_worker(celery_worker_proc, distributed_settings: Settings) -> None:
    client = create_app(distributed_settings).test_client()
    response = client.post("/optimize", json={"code": FIB, "background": True})
    assert response.status_code == 202
    job = _poll(client, response.get_json()["job_id"])
    assert job["status"] == "succeeded", job["error"]
    assert job["worker"].startswith(celery_worker_proc.hostname)
    assert job["result"]["suggestions"][0]["validation_status"] == "validated"


def test_an_unknown_function_name_is_422_listing_the_module_s_functions(client, tmp_path: Path) -> None:
    response = client.post("/optimize", json={"code": SLOW + "\n\n" + FIB, "function_name": "nope"})
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert "common" in body["message"] and "fib" in body["message"]
    (tmp_path / "mod.py").write_text(FIB)
    response = client.post("/optimize/file", json={"file_path": str(tmp_path / "mod.py"),
                                                   "function_name": "Missing.method"})
    assert response.status_code == 422, response.get_json()


@pytest.mark.slow
def test_function_name_restricts_the_rewrites_to_that_function(client) -> None:
    response = client.post("/optimize", json={"code": SLOW + "\n\n" + FIB, "function_name": "fib"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["attempts"]
    assert all(a["functions"] == ["fib"] for a in body["attempts"]), body["attempts"]
    assert body["suggestions"][0]["category"] == "caching_strategy"
