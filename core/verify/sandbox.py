"""Run untrusted code in a separate, limited process: ``run_sandboxed``.

The verifier stages files in a fresh temporary directory (``{stage}``, read-only for the
child) and gives the child an empty working directory (``{work}``); both placeholders are
substituted in ``argv`` and environment values. It starts ``_launcher.py`` (see there for
the process tree) in a new session, with a scrubbed environment, stdin from /dev/null and
three pipes: stdout and stderr (read with a cap, the rest is drained and dropped) and the
result channel (``VELOX_RESULT_FD``, frames; see ``runtime.py``). A wall-clock timeout
kills the launcher's whole process group; the launcher's death takes init and with it the
PID namespace down (parent-death signals), and when the child ran under its own uid
without a PID namespace, every process of that uid is killed as well.

What is enforced is reported in ``SandboxResult.isolation``:

==================  ==========================================================  ===========
item                meaning                                                     needs
==================  ==========================================================  ===========
netns               no network: own network namespace, loopback only            root
pidns, proc         own PID namespace and /proc: other processes are invisible  root
mountns             own mount table (the mounts below vanish with the sandbox)  root
private_tmp         tmpfs on /tmp, /var/tmp, /dev/shm: writes invisible, capped root
tmpfs_workdir       working directory is a tmpfs of ``disk_bytes``               root
uid                 runs as an unused uid: cannot write root's files, cannot    root
                    signal the verifier, RLIMIT_NPROC applies
rlimits             CPU seconds, address space, processes, file size, open      always
                    files, no core dumps
==================  ==========================================================  ===========

Fallbacks (not root, or a kernel/container that refuses namespaces): the rlimits still
apply (RLIMIT_NPROC counts every process of the user, so the cap is set to the user's
current count plus ``max_processes``); the working directory is polled and the child is
killed when it outgrows ``disk_bytes``; Python children get ``VELOX_GUARD_NETWORK=1``
(socket connections raise) and, when still root, ``VELOX_GUARD_PROCESSES=1`` (fork and
spawn raise). Those guards are best effort: code that calls the C library directly
(ctypes) passes them, and without a uid change or PID namespace the child can signal
processes of the same user and write where that user can. The verifier's own process is
in another session, so group-wide signals from the child never reach it.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from core.verify.runtime import parse_frames

HERE = Path(__file__).resolve().parent
# Files copied into every stage's boot directory, under names that cannot clash with the
# user's own modules.
BOOT_FILES = {
    "velox_runtime.py": "runtime.py",
    "velox_equivalence.py": "equivalence.py",
    "velox_measure.py": "measure.py",
    "velox_harness.py": "harness.py",
    "velox_recorder.py": "recorder.py",
    "sitecustomize.py": "_sitecustomize.py",
}
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
UID_RANGE = (0x70000000, 0x70FFFFFF)  # above the usual container ranges; never a real user
# How sandboxed Python starts: no user site-packages (-s), neither the script's folder nor
# the working directory on sys.path (-P), no bytecode files (-B). Not -I/-E: the
# environment is ours already, and PYTHONHASHSEED=0 must take effect.
PYTHON_FLAGS = (sys.executable, "-s", "-P", "-B")

Isolation = Literal["auto", "minimal"]


@dataclass
class SandboxLimits:
    cpu_seconds: float = 30.0
    wall_seconds: float = 60.0
    memory_bytes: int = 1 << 30  # RLIMIT_AS
    max_processes: int = 64  # RLIMIT_NPROC (tasks, threads included)
    max_file_bytes: int = 64 << 20  # RLIMIT_FSIZE, per file
    max_open_files: int = 256
    max_output_bytes: int = 1 << 20  # per stream (stdout, stderr) kept by the verifier
    disk_bytes: int = 128 << 20  # working directory and private /tmp, each
    max_result_bytes: int = 64 << 20  # result channel

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SandboxResult:
    """How a sandboxed run ended.

    ``status``: ``ok`` (exit 0), ``error`` (non-zero exit), ``timeout`` (wall clock or CPU
    limit), ``crashed`` (killed by a signal), ``resource_limit`` (memory, file size, disk,
    processes), ``setup_error`` (the sandbox itself could not start the command).
    """

    status: str
    reason: str
    returncode: int | None = None
    signal: str | None = None
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    frames: list[tuple[str, bytes]] = field(default_factory=list)
    frames_truncated: bool = False
    wall_seconds: float = 0.0
    cpu_seconds: float | None = None
    max_rss_kb: int | None = None
    isolation: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def json_frames(self) -> list[dict[str, Any]]:
        return _json_objects(payload for kind, payload in self.frames if kind == "J")

    def last_json(self, key: str | None = None) -> dict[str, Any] | None:
        for value in reversed(self.json_frames()):
            if key is None or key in value:
                return value
        return None

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("frames")
        data["stdout"] = self.stdout[-2000:]
        data["stderr"] = self.stderr[-2000:]
        return data


class _Capped:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[bytes] = []
        self.size = 0
        self.truncated = False

    def add(self, data: bytes) -> None:
        room = self.cap - self.size
        if room <= 0:
            self.truncated = True
            return
        if len(data) > room:
            data = data[:room]
            self.truncated = True
        self.parts.append(data)
        self.size += len(data)

    def bytes(self) -> bytes:
        return b"".join(self.parts)

    def text(self) -> str:
        return self.bytes().decode("utf-8", errors="replace")


def _python_paths() -> list[str]:
    """What the interpreter must be able to read inside the sandbox."""
    paths = {os.path.realpath(sys.executable), os.path.dirname(os.path.abspath(sys.executable)),
             sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(p for p in sys.path if p and os.path.isabs(p) and os.path.exists(p))
    return sorted(paths)


def sandbox_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The scrubbed environment: nothing of the verifier's own environment leaks in."""
    bindir = os.path.dirname(os.path.abspath(sys.executable))
    env = {
        "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONNOUSERSITE": "1",
        "HOME": "{work}",
        "TMPDIR": "{work}/.tmp",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "NO_COLOR": "1",
        "VELOX_STAGE": "{stage}",
        "VELOX_WORK": "{work}",
    }
    if extra:
        env.update(extra)
    return env


SANDBOX_PREFIX = "velox-sbx-"  # each run's folder under the temp dir
STAGE_MAX_FILES = 20_000
STAGE_MAX_BYTES = 200 << 20
_STAGE_SKIP = {".git", ".hg", ".svn", ".venv", "venv", "env", ".tox", ".nox", "node_modules",
               "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
               "build", "dist", ".eggs"}


def _project_files(src: Path) -> Iterator[tuple[str, list[str]]]:
    """``(folder relative to src, its plain files)`` of what a stage copies: no VCS
    folders, virtual environments, caches or build output, no symlink out of the tree,
    and no sandbox folder (a project in /tmp would otherwise copy its own stage into
    itself, and the stages of every other verification running beside it)."""
    for root, dirs, names in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d not in _STAGE_SKIP and not d.endswith(".egg-info")
                         and not d.startswith(SANDBOX_PREFIX)
                         and not os.path.islink(os.path.join(root, d)))
        yield os.path.relpath(root, src), [
            os.path.join(root, n) for n in names
            if not os.path.islink(os.path.join(root, n)) and os.path.isfile(os.path.join(root, n))]


def tree_fits(src: str | os.PathLike[str], *, max_files: int = STAGE_MAX_FILES,
              max_bytes: int = STAGE_MAX_BYTES) -> bool:
    """Whether `stage_tree` would copy ``src`` (stops counting at the caps)."""
    files = total = 0
    for _rel, paths in _project_files(Path(src).resolve()):
        files += len(paths)
        if files > max_files:
            return False
        for path in paths:
            total += os.path.getsize(path)
            if total > max_bytes:
                return False
    return True


def stage_tree(src: Path, dest: Path, *, max_files: int = STAGE_MAX_FILES,
               max_bytes: int = STAGE_MAX_BYTES) -> int:
    """Copy a project into the stage, readable by the sandbox uid; returns bytes copied.

    Skips what `_project_files` skips. Raises ValueError when the tree is over the caps.
    """
    files = 0
    total = 0
    src = src.resolve()
    for rel, paths in _project_files(src):
        target = dest / rel if rel != "." else dest
        target.mkdir(parents=True, exist_ok=True)
        os.chmod(target, 0o755)
        for path in paths:
            files += 1
            total += os.path.getsize(path)
            if files > max_files or total > max_bytes:
                raise ValueError(
                    f"project too large to copy into the sandbox (> {max_files} files or "
                    f"> {max_bytes >> 20} MiB)"
                )
            out = target / os.path.basename(path)
            shutil.copyfile(path, out)
            os.chmod(out, 0o755 if os.access(path, os.X_OK) else 0o644)
    return total


def _write_stage_files(stage: Path, files: Mapping[str, bytes | str]) -> None:
    for rel, content in files.items():
        path = (stage / rel).resolve()
        if stage.resolve() not in path.parents:
            raise ValueError(f"staged file escapes the stage: {rel}")
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
        os.chmod(path, 0o644)
        for parent in path.parents:
            if parent == stage:
                break
            os.chmod(parent, 0o755)


def _dir_size(path: str, limit_entries: int = 50_000) -> int:
    total = 0
    seen = 0
    stack = [path]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                for entry in it:
                    seen += 1
                    if seen > limit_entries:
                        return total
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        elif entry.is_file(follow_symlinks=False):
                            total += entry.stat(follow_symlinks=False).st_blocks * 512
                    except OSError:
                        continue
        except OSError:
            continue
    return total


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


_RESOURCE_MARKERS = (
    ("SandboxBlocked", "blocked by a fallback guard"),
    ("MemoryError", "out of memory (address-space limit)"),
    ("[Errno 27]", "file size limit"),
    ("File too large", "file size limit"),
    ("[Errno 28]", "disk quota of the sandbox"),
    ("No space left on device", "disk quota of the sandbox"),
    ("[Errno 11] Resource temporarily unavailable", "process limit"),
    ("[Errno 24] Too many open files", "open files limit"),
)


def classify_failure(stderr: str) -> tuple[str, str] | None:
    """``("resource_limit", why)`` when a Python traceback's last lines show a limit hit,
    ``("crashed", why)`` when a fallback guard refused something."""
    tail = stderr.strip().splitlines()[-3:] if stderr.strip() else []
    last = "\n".join(tail)
    for marker, why in _RESOURCE_MARKERS:
        if marker in last:
            return ("crashed" if marker == "SandboxBlocked" else "resource_limit"), why
    return None


def run_sandboxed(
    argv: Sequence[str],
    *,
    files: Mapping[str, bytes | str] | None = None,
    stage_dirs: Mapping[str, str | os.PathLike[str]] | None = None,
    copy_into_work: Iterable[tuple[str, str]] = (),
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    limits: SandboxLimits | None = None,
    isolation: Isolation = "auto",
) -> SandboxResult:
    """Run ``argv`` in the sandbox and return how it ended (never raises for the child's
    behaviour; raises ValueError for bad arguments).

    - ``stage_dirs``: ``{relative path: source directory}`` copied into the stage;
    - ``files``: ``{relative path: content}`` written into the stage (after the
      directories, so a file can replace one of theirs);
    - ``copy_into_work``: ``(stage-relative source, work-relative destination)`` copied by
      the child into its writable working directory before the command starts;
    - ``cwd``: working directory relative to ``{work}``;
    - ``env``: extra environment variables (``{stage}``/``{work}`` substituted);
    - ``isolation``: ``auto`` uses every isolation the host grants; ``minimal`` uses only
      rlimits and the fallback guards (what a host without namespaces gives).
    """
    if not argv:
        raise ValueError("argv must not be empty")
    if isolation not in ("auto", "minimal"):
        raise ValueError("isolation must be 'auto' or 'minimal'")
    limits = limits or SandboxLimits()
    base = Path(tempfile.mkdtemp(prefix=SANDBOX_PREFIX))
    try:
        os.chmod(base, 0o755)
        stage, work = base / "stage", base / "work"
        stage.mkdir(mode=0o755)
        work.mkdir(mode=0o755)
        os.chmod(stage, 0o755)
        boot = {f"boot/{name}": (HERE / src).read_bytes() for name, src in BOOT_FILES.items()}
        boot["launcher.py"] = (HERE / "_launcher.py").read_bytes()
        _write_stage_files(stage, boot)
        staged_bytes = 0
        for rel, src in (stage_dirs or {}).items():
            target = (stage / rel).resolve()
            if stage.resolve() not in target.parents:
                raise ValueError(f"staged directory escapes the stage: {rel}")
            staged_bytes += stage_tree(Path(src), target)
        _write_stage_files(stage, dict(files or {}))  # after the trees: files override
        return _run(argv, stage, work, base, limits, isolation, copy_into_work, cwd, env,
                    staged_bytes)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _subst(value: str, stage: Path, work: Path) -> str:
    return value.replace("{stage}", str(stage)).replace("{work}", str(work))


def _run(argv: Sequence[str], stage: Path, work: Path, base: Path, limits: SandboxLimits,
         isolation: str, copy_into_work: Iterable[tuple[str, str]], cwd: str | None,
         env: Mapping[str, str] | None, staged_bytes: int) -> SandboxResult:
    root = os.geteuid() == 0
    uid = random.randint(*UID_RANGE) if root and isolation == "auto" else None
    status_r, status_w = os.pipe()
    result_r, result_w = os.pipe()
    config = {
        "argv": [_subst(a, stage, work) for a in argv],
        "env": {k: _subst(v, stage, work) for k, v in sandbox_env(env).items()},
        "workdir": str(work),
        "cwd": cwd,
        "limits": limits.to_dict(),
        "isolation": isolation,
        "required_paths": _python_paths(),
        "keep_paths": [str(base)],
        "private_dirs": [d for d in PRIVATE_DIRS if os.path.isdir(d)],
        "uid": uid,
        "copy_into": [[str(stage / s), d] for s, d in copy_into_work],
        "extra_disk_bytes": staged_bytes,
        "status_fd": status_w,
        "result_fd": result_w,
    }
    config_path = stage / "launcher.json"
    config_path.write_text(json.dumps(config))
    os.chmod(config_path, 0o600)  # only the launcher (root) reads it
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(stage / "launcher.py"), str(config_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(status_w, result_w),
            start_new_session=True,
            cwd=str(work),
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
    finally:
        os.close(status_w)
        os.close(result_w)
    out, err = _Capped(limits.max_output_bytes), _Capped(limits.max_output_bytes)
    res, stat_buf = _Capped(limits.max_result_bytes), _Capped(1 << 20)
    streams = {proc.stdout.fileno(): out, proc.stderr.fileno(): err,  # type: ignore[union-attr]
               result_r: res, status_r: stat_buf}
    sel = selectors.DefaultSelector()
    for fd in streams:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    deadline = started + limits.wall_seconds
    timed_out = disk_exceeded = False
    exited_at: float | None = None
    next_disk_check = started + 0.2
    try:
        while sel.get_map():
            now = time.monotonic()
            if now >= deadline:
                timed_out = True
                break
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > 0.5:
                break  # something the command left behind still holds a pipe
            if now >= next_disk_check:
                next_disk_check = now + 0.25
                if _disk_watch_needed(stat_buf) and _dir_size(str(work)) > limits.disk_bytes:
                    disk_exceeded = True
                    break
            for key, _ in sel.select(timeout=min(0.1, max(0.0, deadline - now))):
                try:
                    data = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(key.fd)
                else:
                    streams[key.fd].add(data)
    finally:
        sel.close()
        _kill_tree(proc, uid, stat_buf, stage)
        for fd in (result_r, status_r):
            os.close(fd)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    wall = time.monotonic() - started
    events = _events(stat_buf.text())
    frames, frames_bad = parse_frames(res.bytes())
    result = SandboxResult(
        status="ok", reason="", stdout=out.text(), stderr=err.text(),
        stdout_truncated=out.truncated, stderr_truncated=err.truncated,
        frames=frames, frames_truncated=frames_bad or res.truncated, wall_seconds=wall,
    )
    for ev in events:
        if "isolation" in ev:
            result.isolation = list(ev["isolation"])
        result.problems.extend(ev.get("problems", []))
    if not root or isolation == "minimal":
        result.problems.append("no namespaces or uid change: fallback guards in use")
    exit_ev = next((e for e in events if e.get("event") == "exit"), None)
    setup = next((e for e in events if e.get("event") == "setup_error"), None)
    if exit_ev:
        result.cpu_seconds = exit_ev.get("cpu_seconds")
        result.max_rss_kb = exit_ev.get("max_rss_kb")
        result.returncode = exit_ev.get("returncode")
        if "signal" in exit_ev:
            result.signal = _signal_name(int(exit_ev["signal"]))
    _classify(result, limits, timed_out=timed_out, disk_exceeded=disk_exceeded,
              exit_ev=exit_ev, setup=setup)
    return result


def _disk_watch_needed(stat_buf: _Capped) -> bool:
    return "tmpfs_workdir" not in stat_buf.text()


def _json_objects(items: Iterable[str | bytes]) -> list[dict[str, Any]]:
    """The items that parse as JSON objects (the rest is ignored: the child wrote it)."""
    out = []
    for item in items:
        try:
            value = json.loads(item)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def _events(text: str) -> list[dict[str, Any]]:
    return _json_objects(text.splitlines())


def _classify(result: SandboxResult, limits: SandboxLimits, *, timed_out: bool,
              disk_exceeded: bool, exit_ev: dict | None, setup: dict | None) -> None:
    if timed_out:
        result.status = "timeout"
        result.reason = f"wall-clock limit of {limits.wall_seconds:g}s reached"
    elif disk_exceeded:
        result.status = "resource_limit"
        result.reason = f"working directory grew past {limits.disk_bytes >> 20} MiB"
    elif setup:
        result.status = "setup_error"
        result.reason = str(setup.get("error", "sandbox setup failed"))
    elif exit_ev is None:
        result.status = "crashed"
        result.reason = "the sandbox ended without reporting an exit status"
    elif result.signal is not None:
        cpu = result.cpu_seconds or 0.0
        if result.signal == "SIGXCPU" or (
            result.signal == "SIGKILL" and cpu >= int(round(limits.cpu_seconds))
        ):
            result.status = "timeout"
            result.reason = f"CPU time limit of {limits.cpu_seconds:g}s reached"
        elif result.signal == "SIGXFSZ":
            result.status = "resource_limit"
            result.reason = "file size limit"
        else:
            result.status = "crashed"
            result.reason = f"killed by {result.signal}"
    elif result.returncode == 0:
        result.status = "ok"
    else:
        found = classify_failure(result.stderr)
        if found:
            result.status, why = found
            result.reason = f"{why} (exit code {result.returncode})"
        else:
            result.status = "error"
            result.reason = f"exit code {result.returncode}"


def _kill_tree(proc: subprocess.Popen, uid: int | None, stat_buf: _Capped, stage: Path) -> None:
    """Kill the launcher's process group (init follows by parent-death signal, and the PID
    namespace with it) and, without a PID namespace, every process of the sandbox uid."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if uid is not None and '"pidns"' not in stat_buf.text():
        subprocess.run(
            [sys.executable, "-I", "-S", str(stage / "launcher.py"), "--kill-uid", str(uid)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=10, check=False,
        )


def run_python(code: str, *, limits: SandboxLimits | None = None,
               isolation: Isolation = "auto", env: Mapping[str, str] | None = None,
               ) -> SandboxResult:
    """Convenience: run a Python snippet (``main.py``) in the sandbox. The fallback guards
    are installed first when the host needs them."""
    prelude = (
        "import sys\nsys.path.insert(0, sys.argv[1])\n"
        "import velox_runtime\nvelox_runtime.apply_guards_from_env()\ndel sys.path[0]\n"
    )
    return run_sandboxed(
        [*PYTHON_FLAGS, "{stage}/main.py", "{stage}/boot"],
        files={"main.py": prelude + code},
        limits=limits, isolation=isolation, env=env,
    )
