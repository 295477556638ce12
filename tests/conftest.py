"""Shared fixtures: settings for each mode, real PostgreSQL and Redis, a real Celery worker.

Services (real, never mocked): PostgreSQL at 127.0.0.1:5432 (user ``postgres``, trust auth,
database ``test``) and Redis at 127.0.0.1:6379. Override with ``VELOX_TEST_PG_ADMIN_URL``
and ``VELOX_TEST_REDIS_HOST_URL`` when they live elsewhere.

Isolation: each test session gets its own throw-away PostgreSQL database and its own
Redis key prefix (plus a DB index picked at random), so parallel runs do not collide.
Settings fixtures clear every Velox variable from the environment and ignore ``.env``.

Fixtures
- ``configure_settings(**env)`` → Settings: set variables (on top of an isolated base) and
  return ``get_settings()``; undone after the test.
- ``sqlite_settings``: embedded mode on a migrated temporary SQLite file.
- ``pg_settings``: embedded mode (no broker) on the session's PostgreSQL database.
- ``pg_database_url``: that database's URL (session; migrated).
- ``redis_url`` / ``redis_key_prefix``: the session's Redis DB and key prefix.
- ``distributed_settings``: PostgreSQL + Redis broker (what a worker sees).
- ``celery_worker_proc``: a real ``velox worker`` subprocess on both queues (session).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.settings import Settings, get_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("VELOX_TEST_PG_ADMIN_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")
REDIS_HOST_URL = os.environ.get("VELOX_TEST_REDIS_HOST_URL", "redis://127.0.0.1:6379")
SESSION_TAG = uuid.uuid4().hex[:10]
WORKER_START_TIMEOUT = 60.0

# Every variable Settings reads: cleared before a test configures its own.
SETTINGS_VARS = sorted(Settings.model_fields)


# Services ------------------------------------------------------------------------------


def _pg_admin_connection(url: str):  # noqa: ANN202 - psycopg2 connection
    import psycopg2
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = psycopg2.connect(host=u.host, port=u.port or 5432, user=u.username,
                            password=u.password, dbname=u.database, connect_timeout=5)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for this session, migrated to head."""
    from sqlalchemy.engine import make_url

    name = f"velox_test_{SESSION_TAG}"
    try:
        admin = _pg_admin_connection(PG_ADMIN_URL)
    except Exception as exc:  # a missing service must fail loudly, never skip
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}", pytrace=False)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    from core.storage.db import dispose_engine
    from core.storage.migrate import upgrade_database

    upgrade_database(url, quiet=True)
    yield url
    dispose_engine(url)
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def redis_key_prefix() -> str:
    return f"velox_test_{SESSION_TAG}"


@pytest.fixture(scope="session")
def redis_url(redis_key_prefix: str) -> Iterator[str]:
    """A Redis URL for this session; every key it writes starts with ``redis_key_prefix``
    (deleted at the end). The DB index is random so concurrent sessions rarely share one."""
    import redis

    url = f"{REDIS_HOST_URL.rstrip('/')}/{random.randint(1, 15)}"
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    try:
        client.ping()
    except Exception as exc:
        pytest.fail(f"Redis is not reachable at {url}: {exc}", pytrace=False)
    yield url
    keys = list(client.scan_iter(match=f"{redis_key_prefix}*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


# Settings ------------------------------------------------------------------------------


@pytest.fixture
def configure_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path
                       ) -> Iterator[Callable[..., Settings]]:
    """``configure(**env) -> Settings``: an isolated environment plus ``env``.

    Base: no database/broker variables, ``.env`` ignored, ALLOWED_CODE_ROOTS = tmp_path,
    training data and checkpoints under tmp_path. Each call replaces the variables it
    names and returns a fresh ``get_settings()``.
    """
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    for name in SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    base = {
        "ALLOWED_CODE_ROOTS": str(tmp_path),
        "TRAINING_DATA_PATH": str(tmp_path / "training"),
        "MODEL_CHECKPOINT_PATH": str(tmp_path / "models"),
        "DATABASE_URL": f"sqlite:///{(tmp_path / 'velox.db').as_posix()}",
    }
    for name, value in base.items():
        monkeypatch.setenv(name, value)

    def configure(**env: object) -> Settings:
        for name, value in env.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, str(value))
        get_settings.cache_clear()
        return get_settings()

    get_settings.cache_clear()
    yield configure
    get_settings.cache_clear()
    from core.storage.db import dispose_engine

    dispose_engine(f"sqlite:///{(tmp_path / 'velox.db').as_posix()}")


@pytest.fixture
def sqlite_settings(configure_settings: Callable[..., Settings]) -> Settings:
    """Embedded mode: a migrated SQLite file in tmp_path, no broker."""
    from core.storage.migrate import upgrade_database

    settings = configure_settings()
    upgrade_database(settings.database_url, quiet=True)
    return settings


@pytest.fixture
def pg_settings(configure_settings: Callable[..., Settings], pg_database_url: str) -> Settings:
    """PostgreSQL (the session's database), no broker: jobs run in process."""
    return configure_settings(DATABASE_URL=pg_database_url)


@pytest.fixture
def distributed_settings(configure_settings: Callable[..., Settings], pg_database_url: str,
                         redis_url: str, redis_key_prefix: str) -> Settings:
    """PostgreSQL + the Redis broker: jobs go to Celery queues."""
    return configure_settings(DATABASE_URL=pg_database_url, REDIS_URL=redis_url,
                              REDIS_KEY_PREFIX=redis_key_prefix)


# Celery worker -------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    proc: subprocess.Popen[bytes]
    hostname: str  # Celery node name, e.g. velox-test-ab12@host
    env: dict[str, str]  # the Velox variables the worker runs with
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


def _wait_for_worker(settings: Settings, worker: WorkerProcess) -> None:
    from tasks.celery_app import celery_for

    app = celery_for(settings)
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        if worker.proc.poll() is not None:
            pytest.fail(f"Celery worker exited with {worker.proc.returncode}:\n"
                        f"{worker.log_tail()}", pytrace=False)
        replies = app.control.inspect(timeout=0.5, destination=[worker.hostname]).ping()
        if replies and worker.hostname in replies:
            return
    pytest.fail(f"Celery worker did not answer within {WORKER_START_TIMEOUT:.0f} s:\n"
                f"{worker.log_tail()}", pytrace=False)


@pytest.fixture(scope="session")
def celery_worker_proc(pg_database_url: str, redis_url: str, redis_key_prefix: str,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    """A real worker (``velox worker --queues cpu,gpu --concurrency 2``) on the session's
    Redis and PostgreSQL; started once per session, stopped at the end.

    Its ALLOWED_CODE_ROOTS is the session's base temp dir, so paths under any test's
    ``tmp_path`` are allowed. It runs from a directory without ``.env``.
    """
    base = tmp_path_factory.getbasetemp()
    workdir = tmp_path_factory.mktemp("celery_worker")
    velox_env = {
        "DATABASE_URL": pg_database_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": redis_key_prefix,
        "ALLOWED_CODE_ROOTS": str(base),
        "TRAINING_DATA_PATH": str(workdir / "training"),
        "MODEL_CHECKPOINT_PATH": str(workdir / "models"),
    }
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARS}
    env.update(velox_env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    hostname = f"velox-test-{SESSION_TAG}@{socket.gethostname()}"
    log_path = workdir / "worker.log"
    cmd = [sys.executable, "-c", "import sys; from api.cli import main; sys.exit(main(sys.argv[1:]))",
           "worker", "--queues", "cpu,gpu", "--concurrency", "2", "--hostname", hostname,
           "--loglevel", "info"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    worker = WorkerProcess(proc=proc, hostname=hostname, env=velox_env, log_path=log_path)
    try:
        settings = Settings(_env_file=None, **velox_env)  # type: ignore[call-arg]
        _wait_for_worker(settings, worker)
        yield worker
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # warm shutdown: finish the current job
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the pool children, if any are left
        proc.wait(timeout=5)
