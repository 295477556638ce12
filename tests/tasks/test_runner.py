"""The generic runner: states, progress, result/error handling, re-delivery cap."""

from __future__ import annotations

import pytest

from core.settings import Settings
from core.storage import jobs
from tasks import registry
from tasks.registry import JobKind
from tasks.runner import MAX_ATTEMPTS, JobProgress, execute_job, one_line_error


@pytest.fixture
def test_kinds(monkeypatch):
    """Kinds pointing at tests/tasks/jobfns.py, registered for one test."""
    def add(name: str, fn: str, **kw) -> None:
        monkeypatch.setitem(registry.JOB_KINDS, name, JobKind(name, f"tests.tasks.jobfns:{fn}", **kw))
    return add


def test_ping_runs_to_succeeded(sqlite_settings: Settings):
    job = jobs.create_job("ping", {"delay_seconds": 0.2}, status="queued")
    outcome = execute_job(job["job_id"], worker="w:1")
    assert outcome == {"job_id": job["job_id"], "status": "succeeded"}
    done = jobs.get_job(job["job_id"])
    assert done["status"] == "succeeded" and done["finished"] and done["attempts"] == 1
    assert done["result"]["pong"] is True and done["result"]["delay_seconds"] == 0.2
    assert done["worker"] == "w:1" and done["phase"] == "done" and done["progress"] == 1.0


def test_exception_becomes_one_line_error(sqlite_settings: Settings, test_kinds, caplog):
    test_kinds("boom", "boom")
    job = jobs.create_job("boom", {}, status="queued")
    assert execute_job(job["job_id"])["status"] == "failed"
    done = jobs.get_job(job["job_id"])
    assert done["error"] == "ValueError: the input was bad"
    assert done["phase"] == "about to fail" and done["progress"] == pytest.approx(0.3)
    assert "Traceback" in caplog.text  # the traceback goes to the log, not the row


def test_bad_params_for_ping_fail_with_the_reason(sqlite_settings: Settings):
    job = jobs.create_job("ping", {"delay_seconds": 999}, status="queued")
    execute_job(job["job_id"])
    assert "between 0 and 60" in jobs.get_job(job["job_id"])["error"]


def test_non_dict_result_fails(sqlite_settings: Settings, test_kinds):
    test_kinds("nd", "not_a_dict")
    job = jobs.create_job("nd", {}, status="queued")
    execute_job(job["job_id"])
    assert jobs.get_job(job["job_id"])["error"].startswith("TypeError: job function")


def test_unserialisable_result_fails_instead_of_sticking(sqlite_settings: Settings, test_kinds):
    test_kinds("us", "unserialisable")
    job = jobs.create_job("us", {}, status="queued")
    execute_job(job["job_id"])
    done = jobs.get_job(job["job_id"])
    assert done["status"] == "failed" and "not JSON serializable" in done["error"]


def test_nan_and_tuples_are_stored_as_json(pg_settings: Settings, test_kinds):
    test_kinds("nan", "nan_result")
    job = jobs.create_job("nan", {}, status="queued")
    execute_job(job["job_id"])
    assert jobs.get_job(job["job_id"])["result"] == {"score": None, "pair": [1, 2]}


def test_result_status_overrides_success_status(sqlite_settings: Settings, test_kinds):
    test_kinds("gate", "rejected", initial_status="initiated", running_status="generating",
               success_status="completed", extra_final_statuses=("rejected",))
    job = jobs.create_job("gate", {}, status="initiated")
    assert execute_job(job["job_id"])["status"] == "rejected"
    assert jobs.get_job(job["job_id"])["result"]["gate_passed"] is False


def test_unknown_result_status_falls_back_to_success(sqlite_settings: Settings, test_kinds):
    test_kinds("odd", "unknown_status")
    job = jobs.create_job("odd", {}, status="queued")
    assert execute_job(job["job_id"])["status"] == "succeeded"


def test_finished_job_is_not_run_again(sqlite_settings: Settings):
    job = jobs.create_job("ping", {}, status="queued")
    execute_job(job["job_id"])
    first = jobs.get_job(job["job_id"])
    assert execute_job(job["job_id"])["skipped"] is True
    assert jobs.get_job(job["job_id"]) == first


def test_missing_job_and_unknown_kind(sqlite_settings: Settings):
    assert execute_job("job_0_00000000")["status"] == "missing"
    job = jobs.create_job("no_such_kind", {}, status="queued")
    execute_job(job["job_id"])
    assert "unknown job kind" in jobs.get_job(job["job_id"])["error"]


def test_gives_up_after_repeated_worker_loss(sqlite_settings: Settings):
    job = jobs.create_job("ping", {}, status="queued")
    for n in range(MAX_ATTEMPTS):  # each pick-up whose worker then died
        jobs.claim_job(job["job_id"], status="started", worker=f"w:{n}")
    assert execute_job(job["job_id"])["status"] == "failed"
    done = jobs.get_job(job["job_id"])
    assert done["attempts"] == MAX_ATTEMPTS + 1 and "gave up" in done["error"]


def test_a_redelivered_job_starts_over_from_zero_progress(sqlite_settings: Settings,
                                                        test_kinds):
    """The first attempt's process died at 60 % (its message came back): the second
    attempt's row does not keep the dead attempt's progress and phase."""
    test_kinds("row", "row_at_start")
    job = jobs.create_job("row", {}, status="queued")
    jobs.claim_job(job["job_id"], status="started", worker="w:1")
    jobs.update_job(job["job_id"], phase="training", progress=0.6)
    assert execute_job(job["job_id"], worker="w:2")["status"] == "succeeded"
    seen = jobs.get_job(job["job_id"])["result"]["row"]
    assert seen == {"status": "started", "progress": 0.0, "attempts": 2, "error": None,
                    "phase": f"restarted: attempt 2 of {MAX_ATTEMPTS} "
                             "(the previous worker process was lost)"}


def test_progress_writes_are_throttled_but_status_changes_are_not(sqlite_settings: Settings):
    job = jobs.create_job("ping", {}, status="queued")
    progress = JobProgress(job["job_id"], min_interval=60.0)
    progress(phase="a", progress=0.1)  # first write goes through
    for i in range(100):
        progress(progress=i / 100)
    assert progress.writes == 1
    progress(status="training")
    assert progress.writes == 2
    row = jobs.get_job(job["job_id"])
    assert row["status"] == "training" and row["progress"] == pytest.approx(0.99)
    progress(phase="b")
    progress.flush()
    assert jobs.get_job(job["job_id"])["phase"] == "b"


def test_one_line_error_is_bounded():
    line = one_line_error(RuntimeError("x\n" * 1000))
    assert "\n" not in line and len(line) <= 500 and line.startswith("RuntimeError: x x")
    assert one_line_error(KeyError()) == "KeyError: (no message)"
