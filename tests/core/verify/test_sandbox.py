"""The sandbox against hostile code: every case ends with a clear status and this process
(the verifier) stays healthy. Real subprocesses, real namespaces where the host grants
them; each case runs in both isolation modes where the fallback can defend it."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from core.verify.sandbox import SandboxLimits, run_python, run_sandboxed

LIMITS = SandboxLimits(cpu_seconds=2, wall_seconds=4, memory_bytes=256 << 20, max_processes=16,
                       max_file_bytes=8 << 20, disk_bytes=16 << 20, max_output_bytes=64 << 10)
FULL = os.geteuid() == 0  # namespaces and an own uid need root here
BOTH = ["auto", "minimal"]


def _alive_processes_with(token: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if token.encode() in fh.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def test_runs_code_with_a_scrubbed_environment(monkeypatch):
    monkeypatch.setenv("VELOX_TEST_SECRET", "do-not-leak")
    result = run_python(
        "import os, json\n"
        "import velox_runtime\n"
        "velox_runtime.send_json({'secret': os.environ.get('VELOX_TEST_SECRET'),\n"
        "                         'hashseed': os.environ.get('PYTHONHASHSEED'),\n"
        "                         'hash': hash('velox'), 'cwd': os.getcwd()})\n"
        "print('hello')\n",
        limits=LIMITS,
    )
    assert result.status == "ok", result.summary()
    assert result.stdout == "hello\n"
    payload = result.last_json("secret")
    assert payload["secret"] is None and payload["hashseed"] == "0"
    again = run_python("import velox_runtime\nvelox_runtime.send_json({'hash': hash('velox')})\n",
                       limits=LIMITS)
    assert again.last_json("hash")["hash"] == payload["hash"]  # the seed took effect
    assert payload["cwd"].endswith("/work")
    assert "rlimits" in result.isolation


def test_reports_the_isolation_it_enforced():
    result = run_python("pass", limits=LIMITS)
    if FULL:
        for item in ("netns", "pidns", "mountns", "uid", "tmpfs_workdir", "private_tmp"):
            assert item in result.isolation
    minimal = run_python("pass", limits=LIMITS, isolation="minimal")
    assert minimal.isolation == ["rlimits"]
    assert minimal.problems  # says that fallbacks are in use


@pytest.mark.parametrize("isolation", BOTH)
def test_infinite_loop_times_out(isolation):
    result = run_python("while True:\n    pass\n", limits=replace(LIMITS, cpu_seconds=1),
                        isolation=isolation)
    assert result.status == "timeout"


def test_sleeping_code_hits_the_wall_clock_limit():
    result = run_python("import time\ntime.sleep(60)\n",
                        limits=SandboxLimits(wall_seconds=1, cpu_seconds=5))
    assert result.status == "timeout" and "wall-clock" in result.reason
    assert result.wall_seconds < 10


@pytest.mark.parametrize("isolation", BOTH)
def test_memory_bomb_hits_the_resource_limit(isolation):
    result = run_python("x = []\nwhile True:\n    x.append(bytearray(10 << 20))\n",
                        limits=LIMITS, isolation=isolation)
    assert result.status == "resource_limit", result.summary()
    assert "memory" in result.reason


@pytest.mark.parametrize("isolation", BOTH)
def test_a_file_over_the_size_limit_is_refused(isolation):
    result = run_python("open('big', 'wb').write(b'x' * (20 << 20))\n", limits=LIMITS,
                        isolation=isolation)
    assert result.status == "resource_limit" and "file size" in result.reason


@pytest.mark.parametrize("isolation", BOTH)
def test_disk_fill_hits_the_resource_limit(isolation):
    code = "i = 0\nwhile True:\n    open(f'f{i}', 'wb').write(b'x' * (4 << 20))\n    i += 1\n"
    result = run_python(code, limits=LIMITS, isolation=isolation)
    assert result.status == "resource_limit", result.summary()


@pytest.mark.skipif(not FULL, reason="private /tmp needs a mount namespace (root)")
def test_writes_to_tmp_are_private_and_capped():
    name = f"velox-test-{uuid.uuid4().hex}"
    result = run_python(f"open('/tmp/{name}', 'w').write('x')\nprint('written')\n",
                        limits=LIMITS)
    assert result.status == "ok" and result.stdout == "written\n"
    assert not os.path.exists(f"/tmp/{name}")
    fill = run_python("i = 0\nwhile True:\n    open(f'/tmp/f{i}', 'wb').write(b'x' * (4 << 20))"
                      "\n    i += 1\n", limits=LIMITS)
    assert fill.status == "resource_limit"


@pytest.mark.skipif(not FULL, reason="the uid change needs root")
def test_writes_outside_the_working_directory_are_blocked():
    # a directory of the verifier that is not under /tmp (which the sandbox replaces)
    target = Path(__file__).resolve().parent / f"evil-{uuid.uuid4().hex}.txt"
    try:
        result = run_python(f"open({str(target)!r}, 'w').write('pwned')\n", limits=LIMITS)
        assert result.status == "error" and "PermissionError" in result.stderr
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)


@pytest.mark.parametrize("isolation", BOTH)
def test_fork_bomb_is_contained(isolation):
    result = run_python("import os\nwhile True:\n    os.fork()\n", limits=LIMITS,
                        isolation=isolation)
    assert result.status in ("resource_limit", "crashed"), result.summary()
    # and we can still start processes
    assert run_python("print(1)", limits=LIMITS).stdout == "1\n"


@pytest.mark.parametrize("isolation", BOTH)
def test_network_access_fails(isolation):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted = []

    def accept():
        with contextlib.suppress(OSError):
            accepted.append(server.accept())

    code = (
        "import socket\n"
        f"for addr in (('127.0.0.1', {port}), ('1.1.1.1', 80)):\n"
        "    try:\n"
        "        socket.create_connection(addr, timeout=1)\n"
        "        print('connected', addr)\n"
        "    except Exception as exc:\n"
        "        print('refused', type(exc).__name__)\n"
    )
    result = run_python(code, limits=LIMITS, isolation=isolation)
    t = threading.Thread(target=accept)
    t.start()
    t.join()
    server.close()
    assert result.status == "ok", result.summary()
    assert "connected" not in result.stdout
    assert result.stdout.count("refused") == 2
    assert accepted == []


@pytest.mark.parametrize("isolation", BOTH)
def test_killing_the_parent_leaves_the_verifier_alive(isolation):
    me = os.getpid()
    code = ("import os, signal\n"
            f"for pid in (os.getppid(), {me}):\n"
            "    try:\n"
            "        os.kill(pid, signal.SIGKILL)\n"
            "    except Exception as exc:\n"
            "        print(type(exc).__name__)\n")
    result = run_python(code, limits=LIMITS, isolation=isolation)
    assert os.getpid() == me  # still here
    assert result.status in ("ok", "error", "crashed")
    assert result.status != "ok" or "Error" in result.stdout or "Blocked" in result.stdout


@pytest.mark.skipif(not FULL, reason="PID namespace needs root")
def test_processes_left_behind_are_killed():
    token = f"velox-linger-{uuid.uuid4().hex}"
    code = (
        "import os, sys\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', {token!r}])\n"
        "print('parent leaves')\n"
    )
    result = run_python(code, limits=LIMITS)
    assert result.status == "ok"
    assert _alive_processes_with(token) == []


@pytest.mark.parametrize("isolation", BOTH)
def test_sys_exit_reports_the_exit_code(isolation):
    result = run_python("import sys\nsys.exit(3)\n", limits=LIMITS, isolation=isolation)
    assert result.status == "error" and result.returncode == 3


def test_recursion_bomb_ends_the_child_not_the_parent():
    result = run_python("def f():\n    return f()\nf()\n", limits=LIMITS)
    assert result.status == "error" and "RecursionError" in result.stderr


def test_huge_output_is_capped():
    result = run_python("import sys\nfor _ in range(64):\n    sys.stdout.write('x' * (1 << 20))\n",
                        limits=LIMITS)
    assert result.status == "ok"
    assert result.stdout_truncated and len(result.stdout) == LIMITS.max_output_bytes


def test_staged_files_and_copies_into_the_working_directory(tmp_path):
    project = tmp_path / "proj"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "data.txt").write_text("from the project")
    result = run_sandboxed(
        [sys.executable, "-I", "-c",
         "import json; print(open('pkg/data.txt').read()); print(open('{stage}/note').read())"],
        stage_dirs={"proj": str(project)}, files={"note": "staged"},
        copy_into_work=[("proj", "proj")], cwd="proj", limits=LIMITS,
    )
    assert result.status == "ok", result.summary()
    assert result.stdout.split("\n")[:2] == ["from the project", "staged"]


def test_unknown_command_is_a_setup_error():
    result = run_sandboxed(["velox-no-such-command-xyz"], limits=LIMITS)
    assert result.status == "setup_error" and "not found" in result.reason


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        run_sandboxed([])
    with pytest.raises(ValueError):
        run_sandboxed(["true"], isolation="none")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        run_sandboxed(["true"], files={"../escape": "x"})


def test_frames_round_trip_in_order():
    result = run_python(
        "import velox_runtime\n"
        "for i in range(3):\n"
        "    velox_runtime.send_json({'i': i})\n"
        "velox_runtime.write_frame(b'R', b'opaque')\n",
        limits=LIMITS,
    )
    assert [f["i"] for f in result.json_frames()] == [0, 1, 2]
    assert ("R", b"opaque") in result.frames
    assert json.loads(json.dumps(result.summary()))  # serialisable
