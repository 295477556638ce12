"""Fixtures for the worker failure tests: a broker namespace and workers of their own."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.conftest import WorkerProcess
from tests.tasks.workers import register_test_kinds, start_worker, stop_worker


@pytest.fixture
def isolated_settings(configure_settings: Callable[..., Settings], pg_database_url: str,
                      redis_url: str, redis_key_prefix: str, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Distributed settings on the session's PostgreSQL and Redis, with a Redis key prefix
    of this test's own (its queues are not the shared worker's; the session cleanup still
    deletes its keys), and the test-only job kinds registered in this process."""
    register_test_kinds(monkeypatch.setitem)
    return configure_settings(DATABASE_URL=pg_database_url, REDIS_URL=redis_url,
                              REDIS_KEY_PREFIX=f"{redis_key_prefix}_{uuid.uuid4().hex[:8]}")


@pytest.fixture
def worker_factory(isolated_settings: Settings, tmp_path: Path
                   ) -> Iterator[Callable[..., WorkerProcess]]:
    """``start(queues="cpu,gpu", concurrency=1) -> WorkerProcess``: a real ``velox worker``
    on ``isolated_settings``' broker and database; every one is stopped after the test."""
    started: list[WorkerProcess] = []
    env = {
        "DATABASE_URL": isolated_settings.database_url,
        "REDIS_URL": str(isolated_settings.REDIS_URL),
        "REDIS_KEY_PREFIX": isolated_settings.REDIS_KEY_PREFIX,
        "ALLOWED_CODE_ROOTS": str(tmp_path),
        "TRAINING_DATA_PATH": str(tmp_path / "worker" / "training"),
        "MODEL_CHECKPOINT_PATH": str(tmp_path / "worker" / "models"),
    }

    def start(queues: str = "cpu,gpu", concurrency: int = 1) -> WorkerProcess:
        name = f"velox-failure-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        worker = start_worker(env, hostname=name, workdir=tmp_path / "worker",
                              queues=queues, concurrency=concurrency)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        stop_worker(worker)
