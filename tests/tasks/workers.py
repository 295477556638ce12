"""Helpers for tests with real workers: ``wait_until``, and dedicated Celery worker
subprocesses for the failure tests: tests that kill a worker
process or hit a hard time limit get workers of their own, on a Redis key prefix of their
own, so the session's shared worker (``celery_worker_proc``) never sees their messages.

A dedicated worker also registers the test-only job kinds of ``TEST_KINDS`` (functions in
tests/tasks/jobfns.py) before it starts, as ``tasks.registry`` would for real kinds; the
test process registers them too (``register_test_kinds``) so ``submit`` knows their queue
and limits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from core.settings import Settings
from tasks.registry import JOB_KINDS, JobKind
from tests.conftest import REPO_ROOT, SETTINGS_VARS, WorkerProcess, _wait_for_worker


def wait_until(predicate: Callable[[], object], timeout: float = 30.0,
               interval: float = 0.05) -> object:
    """Poll ``predicate`` until it returns something true, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


# A kind that ignores its soft limit and sleeps past a 2 s hard limit.
TEST_KINDS: tuple[JobKind, ...] = (
    JobKind("overrun", "tests.tasks.jobfns:overrun", soft_time_limit=1, time_limit=2),
)


def register_test_kinds(setitem: object = None) -> None:
    """Add TEST_KINDS to the registry (``setitem``: e.g. ``monkeypatch.setitem``)."""
    for kind in TEST_KINDS:
        if setitem is None:
            JOB_KINDS[kind.name] = kind
        else:
            setitem(JOB_KINDS, kind.name, kind)  # type: ignore[operator]


# The worker's entry point: register the test kinds, then what `velox worker` runs.
_ENTRY = ("import sys; from tests.tasks.workers import register_test_kinds; "
          "register_test_kinds(); from api.cli import main; sys.exit(main(sys.argv[1:]))")


def start_worker(env: dict[str, str], *, hostname: str, workdir: Path, queues: str = "cpu,gpu",
                 concurrency: int = 1) -> WorkerProcess:
    """Start ``velox worker`` with the Velox variables ``env`` and wait until it answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    full_env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARS}
    full_env.update(env)
    full_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT), full_env.get("PYTHONPATH")]))
    full_env["PYTHONUNBUFFERED"] = "1"
    log_path = workdir / f"{hostname.split('@')[0]}.log"
    cmd = [sys.executable, "-c", _ENTRY, "worker", "--queues", queues,
           "--concurrency", str(concurrency), "--hostname", hostname, "--loglevel", "info"]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, env=full_env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    worker = WorkerProcess(proc=proc, hostname=hostname, env=dict(env), log_path=log_path)
    try:
        _wait_for_worker(Settings(_env_file=None, **env), worker)  # type: ignore[call-arg]
    except BaseException:
        stop_worker(worker)
        raise
    return worker


def stop_worker(worker: WorkerProcess, *, timeout: float = 15.0) -> None:
    """Warm shutdown, then SIGKILL whatever is left of its process group."""
    if worker.proc.poll() is None:
        worker.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.proc.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.proc.wait(timeout=5)


@contextlib.contextmanager
def dedicated_worker(env: dict[str, str], **kwargs: object) -> Iterator[WorkerProcess]:
    worker = start_worker(env, **kwargs)  # type: ignore[arg-type]
    try:
        yield worker
    finally:
        stop_worker(worker)
