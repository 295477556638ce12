"""submit(): the row first, then the executor (embedded) or the broker (distributed)."""

from __future__ import annotations

import pytest

from core.settings import Settings
from core.storage import jobs
from tasks.dispatch import DispatchError, submit, wait_for_job
from tasks.registry import UnknownJobKind


def test_embedded_synchronous_runs_inline(sqlite_settings: Settings):
    job = submit("ping", {"delay_seconds": 0.1}, background=False)
    assert job["status"] == "succeeded" and job["finished"]
    assert job["worker"].startswith("embedded:")


def test_embedded_background_returns_queued_then_finishes(sqlite_settings: Settings):
    job = submit("ping", {"delay_seconds": 0.3}, background=True)
    assert job["status"] == "queued" and not job["finished"]
    done = wait_for_job(job["job_id"], timeout=30)
    assert done["status"] == "succeeded" and done["attempts"] == 1


def test_embedded_failure_is_recorded(pg_settings: Settings):
    job = submit("ping", {"delay_seconds": -1}, background=False)
    assert job["status"] == "failed" and "between 0 and 60" in job["error"]


def test_unknown_kind_writes_nothing(sqlite_settings: Settings):
    before = len(jobs.list_jobs(limit=100))
    with pytest.raises(UnknownJobKind):
        submit("nope", {})
    assert len(jobs.list_jobs(limit=100)) == before


def test_unreachable_broker_fails_the_row_and_raises(configure_settings, pg_database_url):
    settings = configure_settings(DATABASE_URL=pg_database_url,
                                  REDIS_URL="redis://127.0.0.1:1/0")
    with pytest.raises(DispatchError) as info:
        submit("ping", {}, settings=settings)
    job = info.value.job
    assert job is not None and job["status"] == "failed"
    assert job["error"].startswith("could not enqueue on the cpu queue")
    assert jobs.get_job(job["job_id"], url=pg_database_url)["finished"]


def test_wait_for_missing_job_raises(sqlite_settings: Settings):
    with pytest.raises(KeyError):
        wait_for_job("job_0_00000000", timeout=0.1)
