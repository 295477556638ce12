"""Helpers that run inside the sandbox (copied there as ``velox_runtime.py``; standard
library only): the result channel, the best-effort fallback guards, the pinned clock.

Result channel: the verifier passes a pipe as file descriptor ``VELOX_RESULT_FD``. A frame
is one kind byte, a 4-byte big-endian length and the payload. Kinds: ``J`` a JSON object,
``R`` a recorded call (opaque pickle bytes, only ever unpickled inside a sandbox).

Guards are the documented fallback for hosts where the kernel cannot isolate the child:
``VELOX_GUARD_NETWORK=1`` (no network namespace) makes socket connections raise;
``VELOX_GUARD_PROCESSES=1`` (the child still runs as root, so RLIMIT_NPROC is ignored by
the kernel) makes process creation raise; ``VELOX_GUARD_SIGNALS=1`` (neither a PID
namespace nor an own uid) makes signals to other processes raise. They only bind Python code that goes through
the patched functions; they are not a security boundary, the namespaces and the uid are.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
from typing import Any

_HEADER = struct.Struct(">cI")
MAX_FRAME = 64 * 1024 * 1024
_OWNER_PID = os.getpid()
_UNSET = object()
_channel: object = _UNSET


def _result_fd() -> int | None:
    """The channel's descriptor. Claimed once: the variable is removed from the environment
    so that subprocesses (which do not inherit the descriptor) never write to whatever
    file happens to get that number in them."""
    global _channel
    if _channel is _UNSET:
        raw = os.environ.pop("VELOX_RESULT_FD", None)
        try:
            _channel = int(raw) if raw else None
        except ValueError:
            _channel = None
    return _channel  # type: ignore[return-value]


def claim_channel() -> bool:
    return _result_fd() is not None


def write_frame(kind: bytes, payload: bytes) -> bool:
    """Send one frame to the verifier; False when there is no channel or when called from a
    process forked by the code under test."""
    fd = _result_fd()
    if fd is None or not is_owner_process():
        return False
    data = _HEADER.pack(kind, len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    return True


def send_json(obj: dict[str, Any]) -> bool:
    return write_frame(b"J", json.dumps(obj, default=repr).encode("utf-8"))


def parse_frames(data: bytes) -> tuple[list[tuple[str, bytes]], bool]:
    """Split channel bytes into frames; the flag is True when trailing bytes were garbage
    or cut off (a cap was hit or two processes wrote at once)."""
    frames: list[tuple[str, bytes]] = []
    pos = 0
    while pos + _HEADER.size <= len(data):
        kind, length = _HEADER.unpack_from(data, pos)
        if kind not in (b"J", b"R") or length > MAX_FRAME:
            return frames, True
        start = pos + _HEADER.size
        if start + length > len(data):
            return frames, True
        frames.append((kind.decode(), data[start : start + length]))
        pos = start + length
    return frames, pos != len(data)


# ---------------------------------------------------------------------------- guards


class SandboxBlocked(PermissionError):
    """Raised by a fallback guard."""


def block_network() -> None:
    import socket

    def refuse(*_a: Any, **_k: Any) -> Any:
        raise SandboxBlocked("network access is blocked in the Velox sandbox")

    for name in ("connect", "connect_ex", "sendto", "sendmsg", "bind"):
        if hasattr(socket.socket, name):
            setattr(socket.socket, name, refuse)
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]


def block_processes() -> None:
    def refuse(*_a: Any, **_k: Any) -> Any:
        raise SandboxBlocked("process creation is blocked in the Velox sandbox")

    for name in ("fork", "forkpty", "vfork", "posix_spawn", "posix_spawnp", "system",
                 "popen", "spawnv", "spawnve", "spawnvp", "spawnvpe", "execv", "execve"):
        if hasattr(os, name):
            setattr(os, name, refuse)
    try:
        import _posixsubprocess

        _posixsubprocess.fork_exec = refuse  # subprocess and multiprocessing go through it
    except ImportError:
        pass


def block_signals() -> None:
    """Without a PID namespace or own uid, refuse signals to anything but this process."""
    import signal as _signal

    real_kill = os.kill
    me = os.getpid()

    def kill(pid: int, sig: int) -> None:
        if pid != me:
            raise SandboxBlocked("signalling other processes is blocked in the Velox sandbox")
        real_kill(pid, sig)

    def killpg(_pgid: int, _sig: int) -> None:
        raise SandboxBlocked("signalling process groups is blocked in the Velox sandbox")

    os.kill = kill  # type: ignore[assignment]
    os.killpg = killpg  # type: ignore[assignment]
    if hasattr(_signal, "pidfd_send_signal"):
        _signal.pidfd_send_signal = killpg  # type: ignore[assignment]


def apply_guards_from_env() -> list[str]:
    applied = []
    if os.environ.get("VELOX_GUARD_NETWORK") == "1":
        block_network()
        applied.append("guard_network")
    if os.environ.get("VELOX_GUARD_PROCESSES") == "1":
        block_processes()
        applied.append("guard_processes")
    if os.environ.get("VELOX_GUARD_SIGNALS") == "1":
        block_signals()
        applied.append("guard_signals")
    return applied


def is_owner_process() -> bool:
    """False in a process forked by the code under test (it must not report results)."""
    return os.getpid() == _OWNER_PID


# ---------------------------------------------------------------------------- pinned clock


class PinnedClock:
    """Replaces the clocks while behaviour is compared, so both versions see the same times:
    ``time``'s clocks (and ``localtime``/``gmtime``/``ctime``/``strftime`` without a time),
    and, in the modules under test (`pin_module`), ``datetime.now/utcnow/today`` and
    ``date.today``. Every read advances by one millisecond (a loop waiting for time to pass
    still ends), ``sleep`` advances the clock instead of sleeping. ``reset()`` before each
    call gives both versions the same start.

    ``datetime`` and ``date`` are C types whose methods cannot be replaced, and replacing
    them in the ``datetime`` module would break pickling of every datetime. So only the
    modules under test see stand-ins: their name ``datetime``/``date`` (bound by
    ``from datetime import ...``) becomes a subclass that overrides the clock readers, and
    their name for the ``datetime`` module a copy of it holding those subclasses.
    Constructing a stand-in gives a plain ``datetime``/``date``, and ``isinstance`` against
    it accepts plain instances. Libraries the code calls keep the real clock.
    """

    START = 1_700_000_000.0
    STEP = 0.001

    def __init__(self) -> None:
        import datetime as _datetime
        import time as _time

        self._time = _time
        self._datetime = _datetime
        self.real = {name: getattr(_time, name) for name in (
            "time", "time_ns", "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns",
            "process_time", "process_time_ns", "sleep", "localtime", "gmtime", "ctime",
            "strftime")}
        self.real_classes = {"datetime": _datetime.datetime, "date": _datetime.date}
        self._stand_ins: dict[int, Any] | None = None
        self.now = self.START

    def reset(self) -> None:
        self.now = self.START

    def _tick(self) -> float:
        self.now += self.STEP
        return self.now

    def install(self) -> None:
        t = self._time
        real = self.real

        def seconds() -> float:
            return self._tick()

        def nanos() -> int:
            return int(self._tick() * 1e9)

        def sleep(secs: float) -> None:
            if secs < 0:
                raise ValueError("sleep length must be non-negative")
            self.now += float(secs)

        def at(name: str) -> Any:
            fn = real[name]

            def pinned(secs: Any = None) -> Any:
                return fn(self._tick() if secs is None else secs)
            return pinned

        def strftime(fmt: str, tt: Any = None) -> str:
            return real["strftime"](fmt, real["localtime"](self._tick()) if tt is None else tt)

        for name in ("time", "perf_counter", "monotonic", "process_time"):
            setattr(t, name, seconds)
        for name in ("time_ns", "perf_counter_ns", "monotonic_ns", "process_time_ns"):
            setattr(t, name, nanos)
        for name in ("localtime", "gmtime", "ctime"):
            setattr(t, name, at(name))
        t.sleep = sleep
        t.strftime = strftime

    def uninstall(self) -> None:
        for name, fn in self.real.items():
            setattr(self._time, name, fn)

    def pin_module(self, module: Any) -> None:
        """Point ``module``'s names for ``datetime``, ``datetime.datetime`` and
        ``datetime.date`` at pinned stand-ins (a no-op for a module that uses none)."""
        import types

        namespace = vars(module)
        real = self.real_classes
        bound = {name: value for name, value in namespace.items()
                 if value is self._datetime or any(value is cls for cls in real.values())}
        if not bound:
            return
        if self._stand_ins is None:
            pinned_datetime, pinned_date = _pinned_date_classes(self)
            copy = types.ModuleType("datetime", self._datetime.__doc__)
            copy.__dict__.update({k: v for k, v in vars(self._datetime).items()
                                  if k not in ("__name__", "__doc__")})
            copy.datetime, copy.date = pinned_datetime, pinned_date
            self._stand_ins = {id(self._datetime): copy, id(real["datetime"]): pinned_datetime,
                               id(real["date"]): pinned_date}
        for name, value in bound.items():
            namespace[name] = self._stand_ins[id(value)]


def _pinned_date_classes(clock: PinnedClock) -> tuple[type, type]:
    real_datetime, real_date = clock.real_classes["datetime"], clock.real_classes["date"]

    def stand_in(real: type) -> type:
        class Meta(type):
            def __instancecheck__(cls, obj: Any) -> bool:
                return isinstance(obj, real)

            def __subclasscheck__(cls, sub: type) -> bool:
                return issubclass(sub, real)

        return Meta

    class PinnedDatetime(real_datetime, metaclass=stand_in(real_datetime)):  # type: ignore[misc,valid-type]
        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            return real_datetime(*args, **kwargs)

        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return real_datetime.fromtimestamp(clock._tick(), tz)

        @classmethod
        def today(cls) -> Any:
            return real_datetime.fromtimestamp(clock._tick())

        @classmethod
        def utcnow(cls) -> Any:
            return real_datetime.fromtimestamp(clock._tick(), clock._datetime.timezone.utc
                                               ).replace(tzinfo=None)

    class PinnedDate(real_date, metaclass=stand_in(real_date)):  # type: ignore[misc,valid-type]
        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            return real_date(*args, **kwargs)

        @classmethod
        def today(cls) -> Any:
            return real_date.fromtimestamp(clock._tick())

    for stand, real in ((PinnedDatetime, real_datetime), (PinnedDate, real_date)):
        stand.__name__ = stand.__qualname__ = real.__name__
        stand.__module__ = "datetime"
    return PinnedDatetime, PinnedDate


def seed_randomness(seed: int = 0) -> None:
    """Seed ``random`` and, when the code under test imported it, NumPy's global RNG."""
    import random
    import sys

    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        with contextlib.suppress(Exception):
            numpy.random.seed(seed)


# ------------------------------------------------------------------ recorded re.Match

def rebuild_match(pattern: Any, string: Any, start: int, end: int, full: bool) -> Any:
    """A recorded ``re.Match``, matched again where it was found (see `reduce_match`)."""
    if full:
        return pattern.fullmatch(string, start, end)
    return pattern.match(string, start, end)


def reduce_match(m: Any) -> tuple[Any, tuple[Any, ...]]:
    """Pickle a ``re.Match`` (parsers pass them around; the type does not pickle) as its
    pattern, string and place. Only when matching again there reproduces every group's
    span; otherwise the argument cannot be recorded."""
    import pickle

    pattern, string, start = m.re, m.string, m.start()
    again = pattern.match(string, start, m.endpos)
    if again is not None and again.regs == m.regs:
        return rebuild_match, (pattern, string, start, m.endpos, False)
    again = pattern.fullmatch(string, start, m.end())
    if again is not None and again.regs == m.regs:
        return rebuild_match, (pattern, string, start, m.end(), True)
    raise pickle.PicklingError("this match cannot be reproduced from its pattern and string")
