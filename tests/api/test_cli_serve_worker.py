"""`velox serve` (development reloader and gunicorn) over loopback; `velox worker` options."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from api.cli import UsageError
from api.cli import main as velox
from api.cli.worker import worker_argv

REPO_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(tmp_path: Path, *flags: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = _free_port()
    script = tmp_path / "velox_cli.py"  # a real file: the reloader re-runs sys.argv
    script.write_text("import sys\nfrom api.cli import main\nsys.exit(main())\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.update(PYTHONPATH=str(REPO_ROOT), DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
               ALLOWED_CODE_ROOTS=str(tmp_path))
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(script), "serve", "--host", "127.0.0.1",
                                 "--port", str(port), *flags], cwd=tmp_path, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, port, log


def _get_json(port: int, path: str, timeout: float = 45.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
                return json.loads(resp.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@pytest.mark.slow
@pytest.mark.parametrize("flags, marker, count", [
    ((), "restarting with stat", 1),  # development: Flask's reloader
    (("--workers", "2", "--no-reload"), "booting worker with pid", 2),  # production: gunicorn
])
def test_serve_answers_health_over_loopback(tmp_path: Path, flags, marker, count):
    proc, port, log = _serve(tmp_path, *flags)
    try:
        body = _get_json(port, "/health")
        assert body["status"] == "healthy"
        # the embedded SQLite database was created and migrated on start
        jobs = _get_json(port, "/jobs")
        assert jobs == {"jobs": [], "count": 0}
    finally:
        _stop(proc)
    text = log.read_text(errors="replace").lower()
    assert text.count(marker) == count, text[-2000:]


@pytest.mark.parametrize("argv", [["serve", "--port", "0"], ["serve", "--port", "http"],
                                  ["serve", "--workers", "0"]])
def test_serve_usage_errors_exit_2(sqlite_settings, argv, capsys):
    with pytest.raises(SystemExit) as info:
        velox(argv)
    assert info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def _args(**kw) -> argparse.Namespace:
    base = {"queues": "cpu", "concurrency": None, "loglevel": "info", "hostname": None,
            "max_tasks_per_child": None}
    return argparse.Namespace(**{**base, **kw})


def test_worker_argv_defaults():
    argv = worker_argv(_args(queues="gpu"))
    assert argv[argv.index("--queues") + 1] == "gpu"
    assert argv[argv.index("--concurrency") + 1] == "1"
    assert argv[argv.index("--max-tasks-per-child") + 1] == "1"
    assert argv[argv.index("--hostname") + 1] == "gpu@%h"
    argv = worker_argv(_args(queues="cpu,gpu,cpu", concurrency=3))
    assert argv[argv.index("--queues") + 1] == "cpu,gpu"
    assert "--max-tasks-per-child" not in argv


@pytest.mark.parametrize("queues", ["", "tpu", "cpu,tpu"])
def test_worker_rejects_unknown_queues(queues):
    with pytest.raises(UsageError, match="--queues"):
        worker_argv(_args(queues=queues))


def test_worker_needs_a_broker(sqlite_settings, capsys):
    assert velox(["worker"]) == 2
    assert "no broker configured" in capsys.readouterr().err
