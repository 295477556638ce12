"""Records real calls of the target functions while the user's tests run, and reports which
tests ran (copied into the sandbox as ``velox_recorder.py``; standard library only).

Loaded by the sandbox's ``sitecustomize`` when ``VELOX_RECORD_TARGET`` (the module's file)
and ``VELOX_RECORD_FUNCS`` (comma-separated qualified names) are set. A meta-path finder
wraps the targets right after the module executes; each wrapper pickles the arguments of
up to ``VELOX_RECORD_MAX`` distinct outermost calls (not the recursive calls inside them)
before the call runs, and sends them on the result channel as ``R`` frames:
``{"fn": ..., "module": ...}\\n<pickle>``.

Also a pytest plugin (``PYTEST_PLUGINS=velox_recorder``): the first process that loads it
sends ``{"tests": [{"nodeid", "outcome"}], "exitstatus"}`` when the session ends.

PYTEST_DONT_REWRITE: sitecustomize imports this module before pytest starts, so pytest
cannot rewrite its asserts (it has none) and would warn about it; a project with
``filterwarnings = ["error"]`` (mistune) turned that warning into a crash of every run.
"""

from __future__ import annotations

import contextlib
import copyreg
import functools
import hashlib
import importlib.abc
import importlib.machinery
import io
import json
import os
import pickle
import re
import sys
import threading
from typing import Any

try:
    from . import runtime
except ImportError:
    import velox_runtime as runtime  # type: ignore[no-redef]

MAX_BLOB = 1 << 20
MAX_TESTS = 5000

_local = threading.local()
_counts: dict[str, int] = {}
_seen: set[bytes] = set()
_REPORTER = os.environ.get("VELOX_TESTS_REPORTER_CLAIMED") != "1"
os.environ["VELOX_TESTS_REPORTER_CLAIMED"] = "1"  # subprocesses are not the reporter


def _record(qualname: str, module_name: str, args: tuple, kwargs: dict, limit: int) -> None:
    if _counts.get(qualname, 0) >= limit:
        return
    try:
        blob = _dumps((args, kwargs))
    except Exception:
        return
    if len(blob) > MAX_BLOB:
        return
    digest = hashlib.sha256(qualname.encode() + b"\0" + blob).digest()
    if digest in _seen:
        return
    _seen.add(digest)
    header = json.dumps({"fn": qualname, "module": module_name}).encode()
    try:
        if runtime.write_frame(b"R", header + b"\n" + blob):
            _counts[qualname] = _counts.get(qualname, 0) + 1
    except OSError:
        pass


def _dumps(value: Any) -> bytes:
    """pickle.dumps, with ``re.Match`` arguments pickled by `runtime.reduce_match` (only in
    our own pickler: the user's code keeps the standard behaviour)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=4)
    pickler.dispatch_table = {**copyreg.dispatch_table, re.Match: runtime.reduce_match}
    pickler.dump(value)
    return buffer.getvalue()


def make_wrapper(fn: Any, qualname: str, module_name: str, limit: int) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        depth = getattr(_local, "depth", 0)
        if depth == 0:
            _record(qualname, module_name, args, kwargs, limit)
        _local.depth = depth + 1
        try:
            return fn(*args, **kwargs)
        finally:
            _local.depth = depth

    wrapper.__velox_recorded__ = True  # type: ignore[attr-defined]
    return wrapper


def wrap_targets(module: Any, qualnames: list[str], limit: int) -> list[str]:
    wrapped = []
    for qualname in qualnames:
        parts = qualname.split(".")
        owner: Any = module
        try:
            for part in parts[:-1]:
                owner = getattr(owner, part)
            raw = vars(owner)[parts[-1]]
        except (AttributeError, KeyError, TypeError):
            continue
        if isinstance(raw, staticmethod):
            new: Any = staticmethod(make_wrapper(raw.__func__, qualname, module.__name__, limit))
        elif isinstance(raw, classmethod):
            new = classmethod(make_wrapper(raw.__func__, qualname, module.__name__, limit))
        elif callable(raw):
            new = make_wrapper(raw, qualname, module.__name__, limit)
        else:
            continue
        setattr(owner, parts[-1], new)
        wrapped.append(qualname)
    return wrapped


class _Loader(importlib.abc.Loader):
    def __init__(self, inner: Any, qualnames: list[str], limit: int) -> None:
        self.inner = inner
        self.qualnames = qualnames
        self.limit = limit

    def create_module(self, spec: Any) -> Any:
        return self.inner.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self.inner.exec_module(module)
        wrap_targets(module, self.qualnames, self.limit)

    def __getattr__(self, name: str) -> Any:  # get_source, get_code... for tracebacks
        return getattr(self.inner, name)


class RecordingFinder(importlib.abc.MetaPathFinder):
    def __init__(self, target: str, qualnames: list[str], limit: int) -> None:
        self.target = os.path.realpath(target)
        self.qualnames = qualnames
        self.limit = limit
        self._busy = False

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if self._busy:
            return None
        self._busy = True
        try:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        finally:
            self._busy = False
        if spec is None or not spec.origin or spec.loader is None:
            return None
        try:
            same = os.path.realpath(spec.origin) == self.target
        except OSError:
            same = False
        if not same:
            return None
        spec.loader = _Loader(spec.loader, self.qualnames, self.limit)
        return spec


def install() -> None:
    target = os.environ.get("VELOX_RECORD_TARGET")
    funcs = [f for f in os.environ.get("VELOX_RECORD_FUNCS", "").split(",") if f]
    if not target or not funcs:
        return
    runtime.claim_channel()
    limit = int(os.environ.get("VELOX_RECORD_MAX", "20"))
    sys.meta_path.insert(0, RecordingFinder(target, funcs, limit))


# ------------------------------------------------------------------ pytest plugin hooks

_tests: list[dict[str, str]] = []


def pytest_runtest_logreport(report: Any) -> None:
    if not _REPORTER:
        return
    counted = report.when == "call" or (report.when == "setup" and report.outcome != "passed")
    if counted and len(_tests) < MAX_TESTS:
        _tests.append({"nodeid": report.nodeid, "outcome": report.outcome})


def pytest_sessionfinish(session: Any, exitstatus: Any) -> None:
    if not _REPORTER:
        return
    runtime.claim_channel()
    with contextlib.suppress(OSError):
        runtime.send_json({"tests": _tests, "exitstatus": int(exitstatus),
                           "tests_truncated": len(_tests) >= MAX_TESTS})
