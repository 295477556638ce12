"""The beat entry that starts due monitors: registered, and queues real monitor jobs."""

from __future__ import annotations

import time
from pathlib import Path

from core import monitor as mon
from core.storage import jobs


def test_beat_entry_and_task_are_registered() -> None:
    from tasks.celery_app import BEAT_SCHEDULE, MONITOR_TICK_TASK, TASK_MODULES, app

    entry = BEAT_SCHEDULE["run-due-monitors"]
    assert entry["task"] == MONITOR_TICK_TASK and entry["options"]["queue"] == "cpu"
    assert "tasks.monitors" in TASK_MODULES
    app.loader.import_default_modules()
    assert MONITOR_TICK_TASK in app.tasks


def test_due_monitors_are_queued_once(sqlite_settings, tmp_path: Path) -> None:
    from tasks.monitors import start_due_monitors

    (tmp_path / "a.py").write_text("A = 1\n")
    mid = mon.create_monitor(str(tmp_path), interval_seconds=10)["monitor_id"]
    started = start_due_monitors()  # embedded: runs on the local executor
    assert [s["monitor_id"] for s in started] == [mid]
    assert start_due_monitors() == []  # claimed: not due again within the interval
    job_id = started[0]["job_id"]
    deadline = time.monotonic() + 30
    while not (job := jobs.get_job(job_id))["finished"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job["kind"] == "monitor" and job["status"] == "succeeded", job["error"]
    assert job["result"]["added"] == ["a.py"]
    assert mon.get_monitor(mid)["last_result"]["files_watched"] == 1
