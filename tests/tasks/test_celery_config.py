"""The Celery app's configuration: queues, routes, reliability, serialisation, fork safety."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tasks.celery_app import (
    BEAT_SCHEDULE,
    QUEUE_TASKS,
    SWEEP_TASK,
    celery_config,
    create_celery_app,
)
from tasks.registry import longest_time_limit

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_reliability_defaults(distributed_settings):
    conf = create_celery_app(distributed_settings).conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_track_started is True
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.worker_max_tasks_per_child >= 1
    assert conf.broker_transport_options["visibility_timeout"] > longest_time_limit()


def test_json_only(distributed_settings):
    conf = create_celery_app(distributed_settings).conf
    assert conf.task_serializer == "json" and conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]


def test_queues_have_their_own_exchange_and_routes(distributed_settings):
    conf = create_celery_app(distributed_settings).conf
    queues = {q.name: q for q in conf.task_queues}
    assert set(queues) == {"cpu", "gpu"}
    for name, queue in queues.items():
        assert queue.exchange.name == name and queue.routing_key == name
    app = create_celery_app(distributed_settings)
    router = app.amqp.router
    assert router.route({}, QUEUE_TASKS["gpu"])["queue"].name == "gpu"
    assert router.route({}, QUEUE_TASKS["cpu"])["queue"].name == "cpu"
    assert router.route({}, SWEEP_TASK)["queue"].name == "cpu"


def test_redis_keys_carry_the_prefix(distributed_settings, redis_key_prefix):
    config = celery_config(distributed_settings)
    assert config["broker_transport_options"]["global_keyprefix"] == f"{redis_key_prefix}:"
    assert config["result_backend_transport_options"]["global_keyprefix"] == f"{redis_key_prefix}:"


def test_beat_sweeps_stale_jobs():
    assert any(entry["task"] == SWEEP_TASK for entry in BEAT_SCHEDULE.values())


def test_worker_parent_imports_no_torch_and_no_job_function():
    """The worker's parent process must not initialise CUDA: importing the app and its
    tasks must not import torch (or ml/job modules that would)."""
    code = (
        "import sys, json; import tasks.celery_app, tasks.jobs; "
        "print(json.dumps(sorted(m for m in sys.modules if m == 'torch' or m.startswith("
        "('ml.', 'core.analysis.jobs', 'core.optimize')))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert json.loads(out) == []
