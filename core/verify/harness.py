"""The in-sandbox side of verification (copied into the stage as ``velox_harness.py`` and run
as ``python -s -P -B velox_harness.py PLAN``; standard library only).

Modes (``plan["mode"]``):

- ``compare``: load the original and the candidate module from their files as two module
  objects under the same name, call each target on the same inputs (arguments unpickled
  separately for each side, so mutation is visible per side), with time pinned, randomness
  seeded and stdout captured, and compare return value, mutated arguments, exception type
  and message, and stdout. Doctest examples run as snippets in each module's namespace.
- ``measure``: time and trace memory of both on the inputs the comparison kept
  (``velox_measure``).

The result is one JSON frame on the result channel. Recorded arguments are pickles made
by the user's own tests; they are only ever unpickled here, inside the sandbox.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import io
import json
import os
import pickle
import signal
import sys
import types
from typing import Any

if __name__ == "__main__":  # run as a script in the sandbox: siblings sit next to it
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import velox_equivalence as equivalence
    import velox_measure as measure
    import velox_runtime as runtime

    del sys.path[0]  # the user's code must not import our files by accident
else:  # imported from the repository (unit tests)
    from . import equivalence, measure, runtime

STDOUT_CAP = 256 * 1024
ITER_CAP = 10_000
# Exceptions that say the process, not the function, failed.
_RESOURCE_EXC = (MemoryError,)
_HOSTILE = {
    "SystemExit": "crashed",
    "RecursionError": "crashed",
    "KeyboardInterrupt": "crashed",
    "MemoryError": "resource_limit",
    "CallTimeout": "timeout",
}
_ILL_TYPED = (TypeError, AttributeError)


class CallTimeout(BaseException):
    """Raised by the per-call alarm; a BaseException so ``except Exception`` in the code
    under test does not swallow it."""


class CappedText(io.TextIOBase):
    """A stdout replacement that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, cap: int = STDOUT_CAP) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.kept = 0
        self.total = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        self.total += len(s)
        room = self.cap - self.kept
        if room > 0:
            piece = s[:room]
            self.parts.append(piece)
            self.kept += len(piece)
        return len(s)

    def value(self) -> str:
        text = "".join(self.parts)
        if self.total > self.kept:
            text += f"\n...[{self.total - self.kept} more characters]"
        return text


class Materialized:
    """An iterator's items, consumed so that two lazy results can be compared."""

    def __init__(self, kind: str, items: list[Any], truncated: bool) -> None:
        self.kind = kind
        self.items = items
        self.truncated = truncated

    def __repr__(self) -> str:
        return f"<{self.kind} yielding {equivalence.short_repr(self.items, 80)}>"


def materialize(value: Any) -> Any:
    if isinstance(value, types.GeneratorType) or (
        hasattr(value, "__next__") and getattr(value, "__iter__", None) is not None
        and not isinstance(value, (str, bytes, io.IOBase))
    ):
        try:
            if iter(value) is not value:
                return value
        except Exception:
            return value
        items = []
        for item in value:
            if len(items) >= ITER_CAP:
                return Materialized(type(value).__qualname__, items, True)
            items.append(item)
        return Materialized(type(value).__qualname__, items, False)
    return value


def _alarm(_signum: int, _frame: Any) -> None:
    raise CallTimeout("per-call time limit reached")


@contextlib.contextmanager
def time_limit(seconds: float | None):
    if not seconds or seconds <= 0:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --------------------------------------------------------------------------- modules


class Side:
    """One module object (original or candidate) and how to reach its targets."""

    def __init__(self, label: str, name: str, path: str, aliases: list[str]) -> None:
        self.label = label
        self.name = name
        self.path = path
        self.aliases = aliases
        self.module: types.ModuleType | None = None

    def activate(self) -> None:
        for name in [self.name, *self.aliases]:
            sys.modules[name] = self.module  # type: ignore[assignment]

    def load(self) -> None:
        # The enclosing package first, as a normal import would: a package __init__ that
        # imports this module (``from .core import *``) must not run against the half-built
        # module object we are about to execute. If it fails, executing the module reports it.
        parent = self.name.rpartition(".")[0]
        if parent and parent not in sys.modules:
            # CallTimeout and SystemExit are BaseExceptions: they still end the load
            with contextlib.suppress(Exception):  # the module's own import says what is wrong
                importlib.import_module(parent)
        spec = importlib.util.spec_from_file_location(self.name, self.path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {self.path}")
        module = importlib.util.module_from_spec(spec)
        self.module = module
        self.activate()
        spec.loader.exec_module(module)

    def target(self, qualname: str) -> Any:
        obj: Any = self.module
        parts = qualname.split(".")
        for part in parts[:-1]:
            obj = getattr(obj, part)
        raw = vars(obj).get(parts[-1]) if hasattr(obj, "__dict__") else None
        if raw is None:
            raw = getattr(obj, parts[-1])
        if isinstance(raw, (staticmethod, classmethod)):
            raw = raw.__func__
        if not callable(raw):
            raise TypeError(f"{qualname} is not callable")
        return raw

    def unpickle(self, blob: bytes) -> tuple[tuple, dict]:
        self.activate()
        args, kwargs = pickle.loads(blob)
        return tuple(args), dict(kwargs)


def _exc_status(exc: BaseException) -> str | None:
    name = type(exc).__name__
    if name in _HOSTILE:
        return _HOSTILE[name]
    if isinstance(exc, OSError) and exc.errno in (27, 28):  # EFBIG, ENOSPC
        return "resource_limit"
    if isinstance(exc, OSError) and exc.errno == 11:  # EAGAIN: fork over RLIMIT_NPROC
        return "resource_limit"
    if type(exc).__name__ == "SandboxBlocked":
        return "crashed"
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {equivalence.short_repr(str(exc), 200)}"


def _setup_paths(plan: dict) -> None:
    for path in reversed(plan.get("sys_path", [])):
        if path not in sys.path:
            sys.path.insert(0, path)


def _load_sides(plan: dict, clock: runtime.PinnedClock | None) -> tuple[Side, Side]:
    aliases = [a for a in plan.get("aliases", []) if a != plan["module_name"]]
    orig = Side("original", plan["module_name"], plan["original_file"], aliases)
    cand = Side("candidate", plan["module_name"], plan["candidate_file"], aliases)
    for side in (orig, cand):
        runtime.seed_randomness()
        if clock:
            clock.reset()
        sink = CappedText()
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(CappedText()), \
                    time_limit(plan.get("import_timeout", 30.0)):
                side.load()
        except BaseException as exc:  # noqa: BLE001 - any failure of the user's module
            raise _LoadFailure(side.label, exc) from None
        if clock:
            clock.pin_module(side.module)
    return orig, cand


class _LoadFailure(Exception):
    def __init__(self, label: str, exc: BaseException) -> None:
        super().__init__(label)
        self.label = label
        self.exc = exc


def _call(side: Side, fn: Any, args: tuple, kwargs: dict, limit: float | None,
          clock: runtime.PinnedClock | None, real_ns: Any) -> dict[str, Any]:
    side.activate()
    runtime.seed_randomness()
    if clock:
        clock.reset()
    out, err = CappedText(), CappedText()
    outcome: dict[str, Any] = {"raised": None, "value": None, "timed_out": False}
    start = real_ns()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                time_limit(limit):
            outcome["value"] = materialize(fn(*args, **kwargs))
    except CallTimeout:
        outcome["timed_out"] = True
    except BaseException as exc:  # noqa: BLE001 - compared, not propagated
        outcome["raised"] = exc
    outcome["ns"] = real_ns() - start
    if not runtime.is_owner_process():  # a child forked by the code under test
        os._exit(0)
    outcome["args"] = list(args)
    outcome["kwargs"] = kwargs
    outcome["stdout"] = out.value()
    return outcome


def _run_snippets(side: Side, examples: list[dict], limit: float | None,
                  clock: runtime.PinnedClock | None, real_ns: Any) -> list[dict[str, Any]]:
    side.activate()
    namespace = dict(vars(side.module))
    results = []
    runtime.seed_randomness()
    if clock:
        clock.reset()
    for example in examples:
        out = CappedText()
        outcome: dict[str, Any] = {"raised": None, "value": None, "timed_out": False,
                                   "args": [], "kwargs": {}}
        start = real_ns()
        try:
            code = compile(example["source"], "<doctest>", "single")
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(CappedText()):
                old_hook = sys.displayhook
                sys.displayhook = sys.__displayhook__
                try:
                    with time_limit(limit):
                        exec(code, namespace)
                finally:
                    sys.displayhook = old_hook
        except CallTimeout:
            outcome["timed_out"] = True
        except BaseException as exc:  # noqa: BLE001
            outcome["raised"] = exc
        if not runtime.is_owner_process():
            os._exit(0)
        outcome["ns"] = real_ns() - start
        outcome["stdout"] = out.value()
        results.append(outcome)
    return results


def _judge(eo: dict[str, Any], ec: dict[str, Any], tol: dict[str, Any], qualname: str,
           source: str, label: str) -> dict[str, Any] | None:
    """None when the candidate's call behaved like the original's; else the verdict.

    A candidate that dies the way hostile code dies (sys.exit, runaway recursion, memory,
    disk, processes) where the original did not gets that status, not ``not_equivalent``.
    """
    raised, craised = eo["raised"], ec["raised"]
    if craised is not None:
        status = _exc_status(craised)
        if status and (raised is None or type(raised) is not type(craised)):
            return {"status": status, "reason": f"candidate {qualname}: {_describe(craised)}"}
    diff = equivalence.compare_outcomes(eo, ec, **tol)
    if not diff:
        return None
    kind, detail = diff
    where = f"{qualname} doctest {label!r}" if source == "doctest" else qualname
    return {"status": "not_equivalent", "reason": f"{where}: {kind} differs: {detail}",
            "mismatch": {"function": qualname, "source": source, "kind": kind,
                         "detail": detail, "input": label}}


def _original_unstable(again: Any, tol: dict[str, Any]) -> bool:
    """Whether the original, run twice more on the same input, disagrees with itself.

    Asked only after a mismatch: output that differs from run to run (an ``id()`` or an
    address in a repr, iteration over a set of objects hashed by identity) proves nothing
    about the candidate, so such an input is dropped instead of failing the candidate.
    Two fresh runs, not the first one: comparing consumed the first run's iterators.
    """
    first, second = again(0), again(1)
    if first["timed_out"] or second["timed_out"]:
        return False
    return equivalence.compare_outcomes(first, second, **tol) is not None


def run_compare(plan: dict) -> dict[str, Any]:
    clock = runtime.PinnedClock()
    real_ns = clock.real["perf_counter_ns"]
    clock.install()
    try:
        return _compare(plan, clock, real_ns)
    finally:
        clock.uninstall()


def _compare(plan: dict, clock: runtime.PinnedClock, real_ns: Any) -> dict[str, Any]:
    tol = {"rel_tol": plan.get("rel_tol", equivalence.DEFAULT_REL_TOL),
           "abs_tol": plan.get("abs_tol", equivalence.DEFAULT_ABS_TOL),
           "local_modules": tuple([plan["module_name"], *plan.get("aliases", [])])}
    per_call = float(plan.get("per_call_timeout", 5.0))
    factor = float(plan.get("candidate_timeout_factor", 10.0))
    result: dict[str, Any] = {"mode": "compare", "calls_compared": 0, "by_source": {},
                              "by_function": {}, "skipped": {}, "usable": [],
                              "original_ns": {}, "candidate_ns": {}}

    def count(qualname: str, source: str) -> None:
        result["calls_compared"] += 1
        result["by_source"][source] = result["by_source"].get(source, 0) + 1
        result["by_function"][qualname] = result["by_function"].get(qualname, 0) + 1

    def skip(reason: str) -> None:
        result["skipped"][reason] = result["skipped"].get(reason, 0) + 1

    try:
        orig, cand = _load_sides(plan, clock)
    except _LoadFailure as failure:
        status = _exc_status(failure.exc) or "crashed"
        if failure.label == "original":
            return {**result, "status": "original_error",
                    "reason": f"the original module fails to import: {_describe(failure.exc)}"}
        if isinstance(failure.exc, CallTimeout):
            status = "timeout"
        return {**result, "status": status,
                "reason": f"the candidate module fails to import: {_describe(failure.exc)}"}

    fns: dict[str, tuple[Any, Any]] = {}
    for qualname in plan["functions"]:
        try:
            fo = orig.target(qualname)
        except Exception as exc:
            return {**result, "status": "original_error",
                    "reason": f"original has no callable {qualname}: {_describe(exc)}"}
        try:
            fc = cand.target(qualname)
        except Exception as exc:
            return {**result, "status": "not_equivalent",
                    "reason": f"candidate has no callable {qualname}: {_describe(exc)}",
                    "mismatch": {"function": qualname, "kind": "missing"}}
        fns[qualname] = (fo, fc)

    for index, item in enumerate(plan.get("inputs", [])):
        qualname, source = item["fn"], item["source"]
        if qualname not in fns:
            skip("unknown function")
            continue
        blob = base64.b64decode(item["blob"])
        try:
            a_o, k_o = orig.unpickle(blob)
            a_c, k_c = cand.unpickle(blob)
        except Exception:
            skip("arguments could not be rebuilt")
            continue
        fo, fc = fns[qualname]
        eo = _call(orig, fo, a_o, k_o, per_call, clock, real_ns)
        if eo["timed_out"]:
            skip("original slower than the per-call limit")
            continue
        raised = eo["raised"]
        if raised is not None and (_exc_status(raised) or (
                source == "generated" and isinstance(raised, _ILL_TYPED))):
            skip("original fails on the input")
            continue
        cand_limit = max(per_call, factor * eo["ns"] / 1e9)
        ec = _call(cand, fc, a_c, k_c, cand_limit, clock, real_ns)
        if ec["timed_out"]:
            return {**result, "status": "timeout",
                    "reason": f"candidate {qualname} ran past {cand_limit:.1f}s on an input "
                              f"where the original took {eo['ns'] / 1e9:.3f}s"}
        verdict = _judge(eo, ec, tol, qualname, source, item.get("label") or "")
        if verdict and _original_unstable(
                lambda _run, fo=fo, blob=blob: _call(orig, fo, *orig.unpickle(blob), per_call,
                                                     clock, real_ns), tol):
            skip("the original itself gives different results on the input")
            continue
        if verdict:
            return {**result, **verdict}
        count(qualname, source)
        if raised is None:
            result["usable"].append(index)
            result["original_ns"][str(index)] = eo["ns"]
            result["candidate_ns"][str(index)] = ec["ns"]

    for qualname, examples in plan.get("doctests", {}).items():
        if not examples:
            continue
        ro = _run_snippets(orig, examples, per_call, clock, real_ns)
        rc = _run_snippets(cand, examples, per_call * factor, clock, real_ns)
        reruns: list[list[dict[str, Any]]] = []

        def original_again(run: int, position: int, reruns: list = reruns,
                           examples: list = examples) -> dict[str, Any]:
            while len(reruns) <= run:  # examples build on each other: replay them all
                reruns.append(_run_snippets(orig, examples, per_call, clock, real_ns))
            return reruns[run][position]

        for position, (example, eo, ec) in enumerate(zip(examples, ro, rc, strict=True)):
            if eo["timed_out"]:
                skip("original slower than the per-call limit")
                continue
            if ec["timed_out"]:
                return {**result, "status": "timeout",
                        "reason": f"candidate ran past the limit on doctest {example['source']!r}"}
            verdict = _judge(eo, ec, tol, qualname, "doctest", example["source"].strip())
            if verdict and _original_unstable(lambda run, p=position: original_again(run, p), tol):
                skip("the original itself gives different results on the input")
                continue
            if verdict:
                return {**result, **verdict}
            count(qualname, "doctest")
    return {**result, "status": "equivalent",
            "reason": f"{result['calls_compared']} calls behave the same"}


def run_measure(plan: dict) -> dict[str, Any]:
    try:
        orig, cand = _load_sides(plan, None)
    except _LoadFailure as failure:
        return {"mode": "measure", "status": _exc_status(failure.exc) or "crashed",
                "reason": f"the {failure.label} module fails to import: "
                          f"{_describe(failure.exc)}"}
    indices = plan.get("indices") or list(range(len(plan["inputs"])))
    items = [plan["inputs"][i] for i in indices]
    blobs = [base64.b64decode(item["blob"]) for item in items]

    def make(side: Side) -> measure.Variant:
        state = measure.ModuleState(side.module)  # type: ignore[arg-type]
        fns = [side.target(item["fn"]) for item in items]

        def prepare(j: int) -> tuple[Any, Any]:
            args, kwargs = side.unpickle(blobs[j])
            return (fns[j], args), kwargs

        def call(packed: Any, kwargs: Any) -> Any:
            fn, args = packed
            return fn(*args, **kwargs)

        def reset() -> None:
            side.activate()
            state.restore()
            runtime.seed_randomness()

        return measure.Variant(prepare, call, reset)

    vo, vc = make(orig), make(cand)
    usable = list(range(len(items)))
    dropped = 0
    if plan.get("screen"):  # inputs no comparison vetted: keep those the original runs
        kept = []
        for j in usable:
            try:
                packed, kwargs = vo.prepare(j)
                vo.reset()
                with contextlib.redirect_stdout(CappedText()), \
                        contextlib.redirect_stderr(CappedText()), \
                        time_limit(plan.get("per_call_timeout", 5.0)):
                    vo.call(packed, kwargs)
                kept.append(j)
            except BaseException:  # noqa: BLE001 - any failure drops the input
                if not runtime.is_owner_process():
                    os._exit(0)
                dropped += 1
        usable = kept
    if not usable:
        return {"mode": "measure", "status": "no_inputs", "dropped_inputs": dropped,
                "reason": "no input on which the original returns normally"}
    sub_o = measure.Variant(lambda j: vo.prepare(usable[j]), vo.call, vo.reset)
    sub_c = measure.Variant(lambda j: vc.prepare(usable[j]), vc.call, vc.reset)
    with contextlib.redirect_stdout(CappedText()), contextlib.redirect_stderr(CappedText()):
        timing = measure.time_interleaved(
            sub_o, sub_c, len(usable),
            budget_s=float(plan.get("budget_s", 2.0)),
            min_loops=int(plan.get("min_loops", 5)),
            max_loops=int(plan.get("max_loops", 1000)),
        )
        peak_o = measure.peak_memory(sub_o, len(usable))
        peak_c = measure.peak_memory(sub_c, len(usable))
    if not runtime.is_owner_process():
        os._exit(0)
    return {"mode": "measure", "status": "measured", **timing,
            "original_peaks": peak_o, "candidate_peaks": peak_c,
            "measured_indices": [indices[j] for j in usable], "dropped_inputs": dropped}


def main(plan_path: str) -> int:
    runtime.claim_channel()
    guards = runtime.apply_guards_from_env()
    with open(plan_path) as fh:
        text = fh.read()
    stage = os.environ.get("VELOX_STAGE")
    plan = json.loads(text.replace("{stage}", stage) if stage else text)
    _setup_paths(plan)
    try:
        if plan["mode"] == "compare":
            result = run_compare(plan)
        elif plan["mode"] == "measure":
            result = run_measure(plan)
        else:
            result = {"status": "error", "reason": f"unknown mode {plan['mode']!r}"}
    except BaseException as exc:  # noqa: BLE001 - e.g. SystemExit from module state restore
        if not runtime.is_owner_process():
            os._exit(0)
        result = {"mode": plan.get("mode"), "status": _exc_status(exc) or "crashed",
                  "reason": f"harness stopped: {_describe(exc)}"}
    result["guards"] = guards
    runtime.send_json(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
