"""The job repository: ids, create/get/list, progress updates, claim, finish, stale sweep."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from core.settings import Settings
from core.storage import jobs
from core.storage.db import session_scope
from core.storage.models import Job

ID_PATTERN = re.compile(r"^job_\d{10}_[0-9a-f]{8}$")


def test_new_job_ids_have_the_guide_format_and_differ():
    ids = {jobs.new_job_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(ID_PATTERN.match(i) for i in ids)


def test_create_get_and_dict_shape(sqlite_settings: Settings):
    job = jobs.create_job("scan", {"directory": "/x"}, status="queued")
    assert ID_PATTERN.match(job["job_id"])
    again = jobs.get_job(job["job_id"])
    assert again == job
    assert job["status"] == "queued" and job["progress"] == 0.0 and job["attempts"] == 0
    assert job["params"] == {"directory": "/x"}
    assert job["finished"] is False and job["finished_at"] is None
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", job["created_at"])


def test_get_missing_job_is_none(sqlite_settings: Settings):
    assert jobs.get_job("job_0_deadbeef") is None


def test_list_recent_first_with_filters(sqlite_settings: Settings):
    made = [jobs.create_job("ping" if i % 2 else "scan", {}, status="queued") for i in range(5)]
    listed = jobs.list_jobs(limit=10)
    assert [j["job_id"] for j in listed] == [j["job_id"] for j in reversed(made)]
    assert [j["job_id"] for j in jobs.list_jobs(limit=2)] == [made[4]["job_id"], made[3]["job_id"]]
    assert {j["kind"] for j in jobs.list_jobs(kind="scan")} == {"scan"}
    jobs.update_job(made[0]["job_id"], status="started")
    assert [j["job_id"] for j in jobs.list_jobs(status="started")] == [made[0]["job_id"]]


def test_claim_update_finish_lifecycle(sqlite_settings: Settings):
    job = jobs.create_job("scan", {}, status="queued")
    claimed = jobs.claim_job(job["job_id"], status="started", worker="w1:1")
    assert claimed["status"] == "started" and claimed["attempts"] == 1
    assert claimed["worker"] == "w1:1" and claimed["started_at"] is not None
    assert jobs.update_job(job["job_id"], phase="files", progress=0.5)
    mid = jobs.get_job(job["job_id"])
    assert (mid["phase"], mid["progress"], mid["status"]) == ("files", 0.5, "started")
    again = jobs.claim_job(job["job_id"], status="started", worker="w2:2")
    assert again["attempts"] == 2 and again["started_at"] == claimed["started_at"]
    assert jobs.finish_job(job["job_id"], status="succeeded", result={"n": 1})
    done = jobs.get_job(job["job_id"])
    assert done["finished"] and done["status"] == "succeeded" and done["progress"] == 1.0
    assert done["result"] == {"n": 1}
    # A finished job is final: no second finish, no more progress, no claim.
    assert not jobs.finish_job(job["job_id"], status="failed", error="late")
    assert not jobs.update_job(job["job_id"], progress=0.1)
    assert jobs.claim_job(job["job_id"], status="started", worker="w3:3") is None
    assert jobs.get_job(job["job_id"])["status"] == "succeeded"


def test_failed_job_keeps_its_progress_and_error(sqlite_settings: Settings):
    job = jobs.create_job("scan", {}, status="queued")
    jobs.update_job(job["job_id"], progress=0.25)
    jobs.finish_job(job["job_id"], status="failed", error="ValueError: bad")
    done = jobs.get_job(job["job_id"])
    assert (done["status"], done["error"], done["progress"]) == ("failed", "ValueError: bad", 0.25)


def test_update_or_finish_missing_job_returns_false(sqlite_settings: Settings):
    assert not jobs.update_job("job_0_00000000", progress=0.5)
    assert not jobs.finish_job("job_0_00000000", status="failed")
    assert jobs.claim_job("job_0_00000000", status="started", worker=None) is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_progress_is_clamped_to_unit_interval(sqlite_settings: Settings, value: float):
    job = jobs.create_job("ping", {}, status="queued")
    jobs.update_job(job["job_id"], progress=0.5)
    jobs.update_job(job["job_id"], progress=value)
    stored = jobs.get_job(job["job_id"])["progress"]
    assert 0.0 <= stored <= 1.0
    if value == value:  # not NaN: clamped value; NaN leaves the previous value
        assert stored == min(1.0, max(0.0, value))
    else:
        assert stored == 0.5


def _age(job_id: str, *, updated: float | None = None, created: float | None = None) -> None:
    now = datetime.now(UTC)
    values = {}
    if updated is not None:
        values["updated_at"] = now - timedelta(seconds=updated)
    if created is not None:
        values["created_at"] = now - timedelta(seconds=created)
    with session_scope() as session:
        session.execute(update(Job).where(Job.id == job_id).values(**values))


@pytest.mark.parametrize("settings_fixture", ["sqlite_settings", "pg_settings"])
def test_stale_sweep_fails_only_abandoned_jobs(settings_fixture: str, request):
    request.getfixturevalue(settings_fixture)
    stale = jobs.create_job("scan", {}, status="queued")
    jobs.claim_job(stale["job_id"], status="started", worker="gone:1")
    _age(stale["job_id"], updated=4000)
    alive = jobs.create_job("scan", {}, status="queued")
    jobs.claim_job(alive["job_id"], status="started", worker="w:1")
    lost_message = jobs.create_job("scan", {}, status="queued")
    _age(lost_message["job_id"], created=90_000)
    waiting = jobs.create_job("scan", {}, status="queued")
    other_kind = jobs.create_job("ping", {}, status="queued")
    jobs.claim_job(other_kind["job_id"], status="started", worker="gone:2")
    _age(other_kind["job_id"], updated=4000)
    done = jobs.create_job("scan", {}, status="queued")
    jobs.finish_job(done["job_id"], status="succeeded", result={})
    _age(done["job_id"], updated=9000, created=90_000)

    failed = jobs.mark_stale_jobs_failed(running_older_than=3600, queued_older_than=86_400,
                                         kinds=["scan"])
    assert set(failed) == {stale["job_id"], lost_message["job_id"]}
    assert jobs.get_job(stale["job_id"])["status"] == "failed"
    assert "worker was lost" in jobs.get_job(stale["job_id"])["error"]
    assert "no worker took it" in jobs.get_job(lost_message["job_id"])["error"]
    for untouched in (alive, waiting, other_kind):
        assert not jobs.get_job(untouched["job_id"])["finished"]
    assert jobs.get_job(done["job_id"])["status"] == "succeeded"
    assert jobs.mark_stale_jobs_failed(running_older_than=3600, exclude_kinds=["scan"]) == [
        other_kind["job_id"]]
