"""Sandbox launcher: runs as ``python -I -S _launcher.py CONFIG`` (standard library only;
it is executed from a copy in the sandbox's stage directory).

Process tree, when the kernel allows it (root on Linux):

    verifier ── launcher (root; new mount, network, PID, IPC and UTS namespaces)
                  └── init (root; PID 1 of the new PID namespace, own /proc)
                        └── command (ephemeral uid, rlimits, no_new_privs) ── exec(argv)

- network: a new network namespace with only a loopback interface of its own;
- files: private tmpfs mounts on the working directory (size = disk limit, owned by the
  sandbox uid) and on /tmp, /var/tmp, /dev/shm (so writes there are capped and invisible
  outside); directories the sandbox uid cannot traverse but needs (the interpreter under
  /root for instance) are replaced by a tmpfs holding bind mounts of just what is needed;
- processes: the command runs under an unused uid, so RLIMIT_NPROC applies, it cannot
  signal or ptrace the verifier, launcher or init, and it cannot write root's files; when
  init ends the kernel kills everything left in the PID namespace;
- limits: RLIMIT_CPU, RLIMIT_AS, RLIMIT_NPROC, RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_CORE=0.

Whatever cannot be set up is left out and reported; the verifier lists what was enforced
(``isolation``) and the Python-level fallback guards are switched on for the rest.
``--kill-uid N`` (root only) kills every process of uid N: the clean-up when a sandbox ran
under its own uid without a PID namespace.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import shutil
import signal
import stat
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
O_PATH = getattr(os, "O_PATH", 0o10000000)

_libc = ctypes.CDLL(None, use_errno=True)
_STATUS_FD = -1


def emit(obj: dict) -> None:
    if _STATUS_FD >= 0:
        with contextlib.suppress(OSError):
            os.write(_STATUS_FD, (json.dumps(obj) + "\n").encode())


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> bool:
    return _libc.unshare(ctypes.c_int(flags)) == 0


def mount(source: str | None, target: str, fstype: str | None, flags: int,
          data: str | None = None) -> None:
    def enc(s):
        return (s.encode() if s is not None else None)
    rc = _libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))
    _check(rc, f"mount {target}")


def prctl(option: int, arg: int) -> None:
    _libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0)


def loopback_up() -> None:
    import fcntl
    import socket
    import struct

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s.fileno(), 0x8913, ifr))[1]
        fcntl.ioctl(s.fileno(), 0x8914, struct.pack("16sH14x", b"lo", flags | 1))


def _ancestors(path: str) -> list[str]:
    parts = os.path.abspath(path).split(os.sep)[1:]
    return [os.sep + os.sep.join(parts[:i]) for i in range(1, len(parts))]


def _first_component(path: str, under: str) -> str | None:
    rel = os.path.relpath(os.path.abspath(path), under)
    if rel.startswith("..") or rel == ".":
        return None
    return rel.split(os.sep)[0]


def plan_covers(required: list[str], keep: list[str], private: list[str],
                disk_bytes: int) -> list[tuple[str, str, int, set[str]]]:
    """(directory, tmpfs mode, size, names to keep) for every tmpfs to lay over."""
    covers: dict[str, tuple[str, int, set[str]]] = {}
    for path in required:
        if not os.path.exists(path):
            continue
        for anc in _ancestors(path):
            try:
                if os.stat(anc).st_mode & 0o001:
                    continue
            except OSError:
                continue
            covers.setdefault(anc, ("0755", 1 << 20, set()))
    for d in private:
        if os.path.isdir(d) and not os.path.islink(d):
            covers[d] = ("1777", disk_bytes, set())
    for anc, (_mode, _size, names) in covers.items():
        for path in list(required) + list(keep):
            name = _first_component(path, anc)
            if name:
                names.add(name)
    return sorted(((d, m, s, n) for d, (m, s, n) in covers.items()),
                  key=lambda c: c[0].count(os.sep))


def apply_cover(directory: str, mode: str, size: int, names: set[str]) -> None:
    fds = {}
    for name in names:
        with contextlib.suppress(OSError):
            fds[name] = os.open(os.path.join(directory, name), O_PATH | os.O_CLOEXEC)
    mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode={mode}")
    for name, fd in fds.items():
        target = os.path.join(directory, name)
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            os.mkdir(target)
        else:
            open(target, "w").close()
        mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
        os.close(fd)


def count_user_tasks(uid: int) -> int:
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                text = fh.read()
        except OSError:
            continue
        ruid = threads = None
        for line in text.splitlines():
            if line.startswith("Uid:"):
                ruid = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
        if ruid == uid:
            total += threads or 1
    return total


def set_limits(limits: dict, nproc: int | None) -> None:
    def setr(which: int, soft: int, hard: int | None = None) -> None:
        resource.setrlimit(which, (soft, soft if hard is None else hard))

    setr(resource.RLIMIT_CORE, 0)
    cpu = max(1, int(round(limits["cpu_seconds"])))
    setr(resource.RLIMIT_CPU, cpu, cpu + 1)
    setr(resource.RLIMIT_AS, int(limits["memory_bytes"]))
    setr(resource.RLIMIT_FSIZE, int(limits["max_file_bytes"]))
    setr(resource.RLIMIT_NOFILE, int(limits["max_open_files"]))
    if nproc is not None:
        setr(resource.RLIMIT_NPROC, nproc)


def resolve(argv0: str, path_env: str) -> str:
    if os.sep in argv0:
        return argv0
    found = shutil.which(argv0, path=path_env)
    if not found:
        raise FileNotFoundError(f"command not found: {argv0}")
    return found


def run_command(cfg: dict, iso: list[str], uid: int | None) -> None:
    """In the command process: limits, identity, working directory, exec. Never returns."""
    try:
        limits = cfg["limits"]
        nproc = None
        if uid is not None:
            nproc = int(limits["max_processes"])
        elif os.geteuid() != 0:  # the count covers every process of this user
            nproc = count_user_tasks(os.geteuid()) + int(limits["max_processes"])
        set_limits(limits, nproc)
        work = cfg["workdir"]
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        os.chdir(work)
        for src, dest in cfg.get("copy_into", []):
            shutil.copytree(src, os.path.join(work, dest), symlinks=True)
        os.makedirs(os.path.join(work, ".tmp"), exist_ok=True)
        os.chdir(os.path.join(work, cfg.get("cwd") or "."))
        result_fd = int(cfg["result_fd"])
        os.set_inheritable(result_fd, True)
        env = dict(cfg["env"])
        env["VELOX_RESULT_FD"] = str(result_fd)
        env["VELOX_SANDBOX_ISOLATION"] = ",".join(iso)
        if "netns" not in iso:
            env["VELOX_GUARD_NETWORK"] = "1"
        if os.geteuid() == 0:
            env["VELOX_GUARD_PROCESSES"] = "1"
        if uid is None and "pidns" not in iso:
            env["VELOX_GUARD_SIGNALS"] = "1"
        exe = resolve(cfg["argv"][0], env.get("PATH", os.defpath))
        os.execve(exe, cfg["argv"], env)
    except BaseException as exc:  # noqa: BLE001 - report anything, then leave
        with contextlib.suppress(OSError):
            os.write(2, f"velox sandbox setup failed: {exc}\n".encode())
        emit({"event": "setup_error", "error": f"{type(exc).__name__}: {exc}"})
    os._exit(127)


def run_init(cfg: dict, iso: list[str], uid: int | None) -> None:
    """PID 1 of the namespace (or a plain parent): start the command, report how it ended."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if "pidns" in iso and "mountns" in iso:
        try:
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            iso.append("proc")
        except OSError:
            pass
    pid = os.fork()
    if pid == 0:
        run_command(cfg, iso, uid)
    os.close(int(cfg["result_fd"]))
    emit({"event": "command", "isolation": iso})
    while True:
        try:
            done, status, usage = os.wait4(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if done != pid:
            continue
        event = {"event": "exit", "cpu_seconds": usage.ru_utime + usage.ru_stime,
                 "max_rss_kb": usage.ru_maxrss}
        if os.WIFSIGNALED(status):
            event["signal"] = os.WTERMSIG(status)
        else:
            event["returncode"] = os.WEXITSTATUS(status)
        emit(event)
        break
    os._exit(0)


def main(config_path: str) -> None:
    global _STATUS_FD
    with open(config_path) as fh:
        cfg = json.load(fh)
    _STATUS_FD = int(cfg["status_fd"])
    os.set_inheritable(_STATUS_FD, False)  # closed by exec: the command never sees it
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    iso: list[str] = []
    root = os.geteuid() == 0
    limits = cfg["limits"]
    if cfg.get("isolation", "auto") == "auto" and root:
        wanted = [("mountns", CLONE_NEWNS), ("netns", CLONE_NEWNET), ("pidns", CLONE_NEWPID),
                  ("ipcns", CLONE_NEWIPC), ("utsns", CLONE_NEWUTS)]
        if unshare(sum(flag for _, flag in wanted)):
            iso.extend(name for name, _ in wanted)
        else:
            iso.extend(name for name, flag in wanted if unshare(flag))
    problems: list[str] = []
    if "mountns" in iso:
        try:
            mount(None, "/", None, MS_REC | MS_PRIVATE)
            for directory, mode, size, names in plan_covers(
                cfg.get("required_paths", []), cfg.get("keep_paths", []),
                cfg.get("private_dirs", []), int(limits["disk_bytes"]),
            ):
                apply_cover(directory, mode, size, names)
            iso.append("private_tmp")
        except OSError as exc:
            problems.append(str(exc))
    if "netns" in iso:
        try:
            loopback_up()
        except OSError as exc:
            problems.append(f"loopback: {exc}")
    uid = cfg.get("uid") if root else None
    # when the covers are not all in place, the uid must reach the interpreter as things are
    if uid is not None and "private_tmp" not in iso and plan_covers(
            cfg.get("required_paths", []), [], [], 0):
        uid = None
        problems.append("interpreter not reachable by an unprivileged uid; staying root")
    work = cfg["workdir"]
    if "mountns" in iso:
        size = int(limits["disk_bytes"]) + int(cfg.get("extra_disk_bytes", 0))
        owner = f",uid={uid},gid={uid}" if uid is not None else ""
        try:
            mount("tmpfs", work, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=0700{owner}")
            iso.append("tmpfs_workdir")
        except OSError as exc:
            problems.append(str(exc))
    if "tmpfs_workdir" not in iso and uid is not None:
        os.chown(work, uid, uid)
    if uid is not None:
        iso.append("uid")
    iso.append("rlimits")
    if "utsns" in iso:
        with contextlib.suppress(Exception):
            _libc.sethostname(b"velox-sandbox", 13)
    pid = os.fork()
    if pid == 0:
        run_init(cfg, iso, uid)
    os.close(int(cfg["result_fd"]))
    emit({"event": "started", "init_pid": pid, "isolation": iso, "problems": problems})
    while True:
        try:
            os.waitpid(pid, 0)
            break
        except ChildProcessError:
            break
        except InterruptedError:
            continue
    os._exit(0)


def kill_uid(uid: int) -> None:
    if uid <= 0:
        raise SystemExit("refusing to kill uid 0")
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(-1, signal.SIGKILL)  # every process this uid may signal, except ourselves


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--kill-uid":
        kill_uid(int(sys.argv[2]))
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        raise SystemExit("usage: _launcher.py CONFIG | --kill-uid UID")
