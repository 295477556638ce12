"""``ping``: the smallest real job, proving that a worker picks up and executes work.

``/health/details?probe=true`` runs it through the queue. ``delay_seconds`` keeps the
worker busy for a while, which lets an operator (or a test) watch a job in its
``started`` state, or kill a worker mid-job and see the job re-delivered.
"""

from __future__ import annotations

import os
import platform
import socket
import time
from datetime import UTC, datetime
from typing import Any

from core.progress import Progress

MAX_DELAY_SECONDS = 60.0


def run_ping(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Answer with where the job ran; wait ``delay_seconds`` (0..60) first, reporting progress."""
    raw = params.get("delay_seconds", 0) or 0
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(f"delay_seconds must be a number, got {raw!r}")
    delay = float(raw)
    if not 0.0 <= delay <= MAX_DELAY_SECONDS:
        raise ValueError(f"delay_seconds must be between 0 and {MAX_DELAY_SECONDS:g}, got {delay:g}")
    started = datetime.now(UTC)
    deadline = time.monotonic() + delay
    progress(phase="waiting", progress=0.0)
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(0.1, left))
        progress(progress=1.0 - max(0.0, deadline - time.monotonic()) / delay)
    progress(phase="done", progress=1.0)
    return {
        "pong": True,
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "python": platform.python_version(),
        "delay_seconds": delay,
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "finished_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
