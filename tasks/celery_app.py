"""The one Celery app: queues, routes, reliability defaults, fork safety.

Start a worker with ``velox worker --queues cpu`` (or ``celery -A tasks.celery_app worker
-Q cpu``). Queue ``gpu`` takes training; everything else runs on ``cpu``.

Reliability: a message is acknowledged only after its task finished
(``task_acks_late``); if the worker child dies mid-task the message goes back on the
queue (``task_reject_on_worker_lost``) and the runner counts the attempt. Each worker
child reserves one message at a time (``worker_prefetch_multiplier=1``). The broker's
visibility timeout is longer than the longest hard time limit, so a slow task is never
handed to a second worker while the first still runs; a message whose whole worker
vanished comes back after that timeout, and the beat's stale-job sweep fails rows that
stopped reporting long before.

Fork safety: the parent process imports no job function (they are imported by dotted
path when a job runs), so it never opens CUDA or a database connection that a child
would inherit; each forked child drops inherited database pools (``worker_process_init``).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from celery import Celery, signals
from kombu import Exchange, Queue

from core.settings import Settings, get_settings
from tasks.registry import JOB_KINDS, QUEUES, longest_time_limit

log = logging.getLogger("velox.tasks")

# Modules that define tasks. Add one line per module (e.g. "tasks.train").
TASK_MODULES: list[str] = ["tasks.jobs", "tasks.train", "tasks.monitors"]

# Task names, per queue: one generic task per queue runs any job kind of that queue.
QUEUE_TASKS: dict[str, str] = {"cpu": "velox.run_cpu_job", "gpu": "velox.run_gpu_job"}
SWEEP_TASK = "velox.sweep_stale_jobs"
SWEEP_INTERVAL_SECONDS = 300.0
MONITOR_TICK_TASK = "velox.run_due_monitors"
MONITOR_TICK_SECONDS = 10.0  # the shortest monitor interval

# Periodic tasks (celery beat). Add one entry per schedule.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "sweep-stale-jobs": {
        "task": SWEEP_TASK,
        "schedule": SWEEP_INTERVAL_SECONDS,
        "options": {"queue": "cpu", "expires": SWEEP_INTERVAL_SECONDS},
    },
    "run-due-monitors": {  # tasks/monitors.py: queues a monitor job per due monitor
        "task": MONITOR_TICK_TASK,
        "schedule": MONITOR_TICK_SECONDS,
        "options": {"queue": "cpu", "expires": MONITOR_TICK_SECONDS},
    },
    "train-shadow": {  # tasks/train.py: trains only after enough new feedback
        "task": "velox.train_shadow",
        "schedule": 600.0,
        "options": {"queue": "gpu", "expires": 600.0},
    },
}

DEFAULT_SOFT_TIME_LIMIT = 55 * 60
DEFAULT_TIME_LIMIT = 60 * 60
VISIBILITY_MARGIN_SECONDS = 3600
MAX_TASKS_PER_CHILD = 100


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery configuration derived from Velox settings."""
    prefix = f"{settings.REDIS_KEY_PREFIX}:" if settings.REDIS_KEY_PREFIX else ""
    transport_options: dict[str, Any] = {
        "visibility_timeout": longest_time_limit() + VISIBILITY_MARGIN_SECONDS,
    }
    broker = settings.broker_url or ""
    if broker.startswith(("redis://", "rediss://", "unix://")) and prefix:
        transport_options["global_keyprefix"] = prefix
    config: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "result_backend": settings.result_backend,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        "result_expires": 24 * 3600,
        # Job results live in the jobs table; Celery's result store would only duplicate
        # them (and an unreachable result store would stall every send for ~20 s).
        "task_ignore_result": True,
        # JSON only: no pickle from the broker.
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "timezone": "UTC",
        "enable_utc": True,
        # Queues and routes.
        # Explicit exchange and routing key per queue: a bare Queue("gpu") would be bound to
        # the default exchange with the default key, and receive copies of cpu messages.
        "task_queues": [Queue(name, Exchange(name, type="direct"), routing_key=name)
                        for name in QUEUES],
        "task_default_queue": "cpu",
        "task_routes": {QUEUE_TASKS["gpu"]: {"queue": "gpu"}, "*": {"queue": "cpu"}},
        "task_create_missing_queues": False,
        # Reliability.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_track_started": True,
        "task_soft_time_limit": DEFAULT_SOFT_TIME_LIMIT,
        "task_time_limit": DEFAULT_TIME_LIMIT,
        "worker_max_tasks_per_child": MAX_TASKS_PER_CHILD,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_publish_retry_policy": {
            "max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1,
        },
        # Flower watches task events.
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "beat_schedule": dict(BEAT_SCHEDULE),
    }
    if settings.result_backend and settings.result_backend.startswith(("redis://", "rediss://")):
        config["result_backend_transport_options"] = {"global_keyprefix": prefix} if prefix else {}
    return config


def create_celery_app(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery("velox", include=list(TASK_MODULES))
    app.conf.update(celery_config(settings))
    return app


_apps: dict[tuple[Any, ...], Celery] = {}


def celery_for(settings: Settings) -> Celery:
    """A (cached) app for sending tasks with these settings' broker."""
    key = (settings.broker_url, settings.result_backend, settings.REDIS_KEY_PREFIX)
    if key not in _apps:
        _apps[key] = app if _app_key == key else create_celery_app(settings)
    return _apps[key]


app = create_celery_app()
_app_key = (get_settings().broker_url, get_settings().result_backend,
            get_settings().REDIS_KEY_PREFIX)


@signals.worker_init.connect
def _check_parent_has_no_cuda(**_: Any) -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        raise RuntimeError("CUDA was initialised in the worker's parent process; forked "
                           "children cannot use it. Import torch only inside job functions.")


@signals.worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    from core.storage.db import dispose_engine

    dispose_engine(close=False)


def kind_names_for_queue(queue: str) -> list[str]:
    return [name for name, kind in JOB_KINDS.items() if kind.queue == queue]
