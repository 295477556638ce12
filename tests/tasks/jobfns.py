"""Job functions used only by the tests (runner failure paths; kinds registered in a
dedicated worker by tests/tasks/workers.py)."""

from __future__ import annotations

import time
from typing import Any


def boom(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    progress(phase="about to fail", progress=0.3)
    raise ValueError("the input\nwas bad")


def not_a_dict(params: dict[str, Any], progress: Any) -> Any:
    return ["a", "list"]


def rejected(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    progress(status="evaluating")
    return {"status": "rejected", "gate_passed": False}


def unknown_status(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    return {"status": "whatever"}


def nan_result(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    return {"score": float("nan"), "pair": (1, 2)}


def unserialisable(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    return {"value": object()}


def chatty(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    for i in range(200):
        progress(phase="step", progress=i / 200)
    return {"steps": 200}


def overrun(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    """Sleep for ``seconds`` and swallow SoftTimeLimitExceeded, like a job stuck in native
    code that never returns to Python in time: only the hard time limit stops it."""
    from celery.exceptions import SoftTimeLimitExceeded

    progress(phase="sleeping", progress=0.1)
    deadline = time.monotonic() + float(params.get("seconds", 30))
    ignored = 0
    while time.monotonic() < deadline:
        try:
            time.sleep(0.05)
        except SoftTimeLimitExceeded:
            ignored += 1
            progress(phase="ignored the soft time limit", progress=0.5)
            getattr(progress, "flush", lambda: None)()  # write it now, not throttled
    return {"ignored_soft_limits": ignored}


def row_at_start(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    """What the job row says when the function starts (phase, progress, attempts)."""
    from core.storage import jobs

    row = jobs.get_job(progress.job_id)
    return {"row": {key: row[key] for key in ("status", "phase", "progress", "attempts", "error")}}
