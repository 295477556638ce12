"""The beat task that starts due directory monitors (``BEAT_SCHEDULE["run-due-monitors"]``).

Every tick it claims each active monitor whose interval elapsed (``core.monitor``'s
atomic claim, so overlapping ticks or a second beat never start one run twice) and queues
a ``monitor`` job for it on the ``cpu`` queue. In embedded mode (no broker) the API
process runs the same loop in a thread instead (``api.blueprints.monitor``).
"""

from __future__ import annotations

from typing import Any

from tasks.celery_app import MONITOR_TICK_TASK, app


def start_due_monitors() -> list[dict[str, Any]]:
    from core.monitor import run_due_monitors
    from tasks.dispatch import submit

    return run_due_monitors(
        lambda monitor_id: submit("monitor", {"monitor_id": monitor_id}, background=True))


@app.task(name=MONITOR_TICK_TASK)
def run_due_monitors_task() -> dict[str, Any]:
    return {"started": start_due_monitors()}
