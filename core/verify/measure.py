"""Runtime and peak-memory measurement of an original against a candidate, and the rule
that turns the figures into an accepted gain or ``no_speedup``.

Standard library only: the timing half runs inside the sandbox (copied there as
``velox_measure.py``); the scoring half runs in the verifier.

Timing: the same inputs for both, interleaved (original then candidate, the order flipped
every loop to cancel drift), ``perf_counter_ns`` around a single call with the garbage
collector off, an adaptive number of loops (at least ``min_loops``, more while the time
budget lasts), the minimum per input, summed over inputs. Each input's two back-to-back
calls in a loop also make a pair; ``faster_share`` is the share of pairs the candidate
won, per input, weighted by the input's share of the original's time (where the time is,
as in the summed minimum). A gain that only the luckiest runs show is thus not taken for
a real one, and one interrupted call spoils one pair, not a whole loop. Before every timed call the
module's state is put back as it was after import and every ``functools`` cache reachable
from the module (through ``__wrapped__`` chains, on functions and on class attributes) is
cleared: a memoized candidate gains within a call, never from an earlier loop.

Memory: a separate pass under ``tracemalloc``; per input, the peak traced allocation of one
call above what was allocated before it. The reported peak is the largest over inputs;
the memory delta compares the sums over inputs, against at least
``memory_baseline_bytes`` per input (see ``score_measurement``).
"""

from __future__ import annotations

import contextlib
import copy
import gc
import math
import time
import tracemalloc
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

# ----------------------------------------------------------------------------- sandbox side

_MUTABLE_GLOBALS = (dict, list, set, bytearray)


def iter_cache_wrappers(obj: Any, _depth: int = 0) -> Iterable[Any]:
    """Every object with ``cache_clear`` on the ``__wrapped__`` chain of ``obj``."""
    seen: set[int] = set()
    current = obj
    while current is not None and id(current) not in seen and len(seen) < 50:
        seen.add(id(current))
        if callable(getattr(current, "cache_clear", None)):
            yield current
        current = getattr(current, "__wrapped__", None)


def module_caches(module: types.ModuleType) -> list[Any]:
    """The functools caches of a module: on its functions and on its classes' attributes."""
    found: dict[int, Any] = {}
    name = module.__name__
    for value in list(vars(module).values()):
        candidates: list[Any] = [value]
        if isinstance(value, type) and getattr(value, "__module__", None) == name:
            for attr in vars(value).values():
                candidates.append(getattr(attr, "__func__", attr))  # staticmethod/classmethod
                if isinstance(attr, property):
                    candidates.extend(f for f in (attr.fget, attr.fset, attr.fdel) if f)
        for cand in candidates:
            for wrapper in iter_cache_wrappers(cand):
                found[id(wrapper)] = wrapper
    return list(found.values())


class ModuleState:
    """The module's globals as they were after import, to put back before each timed call.

    Rebinds every global that existed at snapshot time and refills module-level dicts,
    lists, sets and bytearrays with their snapshot contents, so a hand-written memo table
    (``_memo = {}``) cannot carry results from one loop to the next.
    """

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.bindings = dict(vars(module))
        self.contents: dict[str, tuple[Any, Any, bool]] = {}
        for key, value in self.bindings.items():
            if key.startswith("__") or not isinstance(value, _MUTABLE_GLOBALS):
                continue
            try:
                saved, deep = copy.deepcopy(value), True
            except Exception:
                saved, deep = copy.copy(value), False
            self.contents[key] = (value, saved, deep)
        self.caches = module_caches(module)

    def restore(self) -> None:
        namespace = vars(self.module)
        for key, value in self.bindings.items():
            if namespace.get(key) is not value:
                namespace[key] = value
        for obj, saved, deep in self.contents.values():
            fresh = copy.deepcopy(saved) if deep else copy.copy(saved)
            try:
                if isinstance(obj, dict):
                    obj.clear()
                    obj.update(fresh)
                elif isinstance(obj, (list, bytearray)):
                    obj[:] = fresh
                elif isinstance(obj, set):
                    obj.clear()
                    obj.update(fresh)
            except Exception:  # a read-only mapping proxy or similar: leave it
                pass
        for wrapper in self.caches:
            with contextlib.suppress(Exception):
                wrapper.cache_clear()


@dataclass
class Variant:
    """One side of the comparison: fresh inputs, the call, and how to reset its module."""

    prepare: Callable[[int], tuple[Any, Any]]  # input index -> fresh (args, kwargs)
    call: Callable[[Any, Any], Any]  # (args, kwargs) -> result
    reset: Callable[[], None]


def _timed_call(variant: Variant, args: Any, kwargs: Any) -> int:
    variant.reset()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        try:  # noqa: SIM105 - a plain try costs less than a context manager when timed
            variant.call(args, kwargs)
        except Exception:
            pass  # inputs were chosen where the original returns
        return time.perf_counter_ns() - start
    finally:
        gc.enable()


def time_interleaved(
    original: Variant,
    candidate: Variant,
    n_inputs: int,
    *,
    budget_s: float = 2.0,
    min_loops: int = 5,
    max_loops: int = 1000,
) -> dict[str, Any]:
    """Minimum-of-loops timing of both variants on ``n_inputs`` inputs.

    ``variant.prepare(i)`` returns fresh ``(args, kwargs)`` for input ``i`` (built outside
    the timed region, so mutation by one call never leaks into the next). One warm-up loop,
    then loops until ``min_loops`` are done and either ``max_loops`` are done or the
    budget is spent.
    """
    if n_inputs <= 0:
        raise ValueError("nothing to measure: no inputs")
    best_o = [math.inf] * n_inputs
    best_c = [math.inf] * n_inputs
    started = time.perf_counter()
    # warm-up: imports inside the functions, first-call caches in the interpreter
    for i in range(n_inputs):
        a, k = original.prepare(i)
        _timed_call(original, a, k)
        a, k = candidate.prepare(i)
        _timed_call(candidate, a, k)
    loops = 0
    wins = [0] * n_inputs
    while loops < max_loops:
        if loops >= min_loops and time.perf_counter() - started >= budget_s:
            break
        flip = loops % 2 == 1
        gc.collect()  # once per loop, outside the timed calls (per call it cools the caches)
        for i in range(n_inputs):
            elapsed = [0, 0]
            for side in ((1, 0) if flip else (0, 1)):
                variant, best = (original, best_o) if side == 0 else (candidate, best_c)
                a, k = variant.prepare(i)
                elapsed[side] = _timed_call(variant, a, k)
                if elapsed[side] < best[i]:
                    best[i] = elapsed[side]
            wins[i] += elapsed[1] < elapsed[0]
        loops += 1
    total_o = sum(best_o)
    weights = [b / total_o for b in best_o] if total_o else []
    return {
        "loops": loops,
        # pairs won per input, weighted by the input's share of the original's time, and
        # how many independent pairs that weighting amounts to (loops / sum of squares)
        "faster_share": sum(w * n / loops for w, n in zip(weights, wins, strict=True))
        if weights and loops else None,
        "effective_pairs": loops / sum(w * w for w in weights) if weights and loops else None,
        "inputs": n_inputs,
        "original_ns": int(sum(best_o)),
        "candidate_ns": int(sum(best_c)),
        "original_ns_per_input": [int(x) for x in best_o],
        "candidate_ns_per_input": [int(x) for x in best_c],
        "seconds": time.perf_counter() - started,
    }


def peak_memory(variant: Variant, n_inputs: int) -> list[int]:
    """Per input, the peak traced allocation of one call (bytes above what was allocated
    before it)."""
    peaks = []
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        for i in range(n_inputs):
            args, kwargs = variant.prepare(i)
            variant.reset()
            gc.collect()
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            try:
                result = variant.call(args, kwargs)
            except Exception:
                result = None
            _, peak = tracemalloc.get_traced_memory()
            del result
            peaks.append(max(0, peak - before))
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peaks


# ----------------------------------------------------------------------------- verifier side

DEFAULT_SLOW_FLOOR_PCT = 5.0  # noise floor when the original takes >= threshold per input
DEFAULT_FAST_FLOOR_PCT = 15.0  # below the threshold timer noise is larger
DEFAULT_FLOOR_THRESHOLD_NS = 10_000
DEFAULT_MEMORY_FLOOR_PCT = 10.0
DEFAULT_MIN_FASTER_SHARE = 0.6  # of the paired calls, when their number is not known


def required_faster_share(effective_pairs: float | None) -> float:
    """The share of paired calls a candidate must win for its gain not to be a coin flip:
    two standard deviations of a fair coin above one half (capped at 1)."""
    if not effective_pairs:
        return DEFAULT_MIN_FASTER_SHARE
    return min(1.0, 0.5 + 1.0 / math.sqrt(effective_pairs))
# Memory deltas are taken against at least this many bytes per input, so that a function
# that allocates almost nothing does not turn a few hundred bytes into "+5000 %".
DEFAULT_MEMORY_BASELINE_BYTES = 64 * 1024


@dataclass
class Score:
    speedup: float | None
    runtime_delta_pct: float
    memory_delta_pct: float
    weighted_score: float
    noise_floor_pct: float
    memory_floor_pct: float
    accepted: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalize_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """``{"runtime": w_rt, "memory": w_mem}`` with non-negative values (not renormalised:
    the guide's example uses 0.8/0.2 as given)."""
    w = dict(weights or {"runtime": 0.5, "memory": 0.5})
    unknown = set(w) - {"runtime", "memory"}
    if unknown:
        raise ValueError(f"objective_weights: unknown key(s) {sorted(unknown)}; use runtime, memory")
    rt, mem = float(w.get("runtime", 0.0)), float(w.get("memory", 0.0))
    if rt < 0 or mem < 0 or math.isnan(rt) or math.isnan(mem):
        raise ValueError("objective_weights: weights must be non-negative numbers")
    if rt == 0 and mem == 0:
        raise ValueError("objective_weights: at least one weight must be positive")
    return {"runtime": rt, "memory": mem}


def weighted_score(runtime_delta_pct: float, memory_delta_pct: float,
                   weights: Mapping[str, float]) -> float:
    """``w_rt * runtime_delta_pct + w_mem * memory_delta_pct``; negative is better."""
    return weights["runtime"] * runtime_delta_pct + weights["memory"] * memory_delta_pct


def score_measurement(
    *,
    original_ns: int,
    candidate_ns: int,
    original_memory_bytes: int,
    candidate_memory_bytes: int,
    inputs: int,
    weights: Mapping[str, float] | None = None,
    slow_floor_pct: float = DEFAULT_SLOW_FLOOR_PCT,
    fast_floor_pct: float = DEFAULT_FAST_FLOOR_PCT,
    floor_threshold_ns: int = DEFAULT_FLOOR_THRESHOLD_NS,
    memory_floor_pct: float = DEFAULT_MEMORY_FLOOR_PCT,
    memory_baseline_bytes: int = DEFAULT_MEMORY_BASELINE_BYTES,
    faster_share: float | None = None,
    effective_pairs: float | None = None,
) -> Score:
    """Deltas, weighted score and the acceptance rule.

    ``*_ns`` are the summed per-input minimum times, ``*_memory_bytes`` the summed per-input
    peak allocations, ``inputs`` how many inputs were summed.
    ``runtime_delta_pct = (candidate - original) / original * 100``;
    ``memory_delta_pct = (candidate - original) / max(original, baseline * inputs) * 100``.

    Accepted when the weighted score is below zero AND at least one objective with a
    positive weight improved beyond its noise floor: runtime by ``slow_floor_pct`` (the
    original takes >= ``floor_threshold_ns`` per input) or ``fast_floor_pct`` (faster
    originals), memory by ``memory_floor_pct``. So a rewrite that is no faster can still be
    accepted for a real memory gain when memory carries weight, and a faster one is refused
    when its memory cost outweighs the time saved under the given weights. A runtime gain
    also needs the candidate to have won more of the back-to-back pairs of calls,
    time-weighted (``faster_share``, when the timing reports it), than a fair coin would:
    at least ``0.5 + 1/sqrt(effective_pairs)`` (two standard deviations).
    """
    w = normalize_weights(weights)
    if original_ns <= 0 or candidate_ns < 0:
        raise ValueError("timings must be positive")
    runtime_delta = (candidate_ns - original_ns) / original_ns * 100.0
    base_mem = max(original_memory_bytes, memory_baseline_bytes * max(inputs, 1), 1)
    memory_delta = (candidate_memory_bytes - original_memory_bytes) / base_mem * 100.0
    per_input = original_ns / max(inputs, 1)
    floor = slow_floor_pct if per_input >= floor_threshold_ns else fast_floor_pct
    score = weighted_score(runtime_delta, memory_delta, w)
    speedup = original_ns / candidate_ns if candidate_ns > 0 else None
    runtime_gain = w["runtime"] > 0 and runtime_delta <= -floor
    required = required_faster_share(effective_pairs)
    erratic = runtime_gain and faster_share is not None and faster_share < required
    runtime_gain = runtime_gain and not erratic
    memory_gain = w["memory"] > 0 and memory_delta <= -memory_floor_pct
    if erratic and not memory_gain:
        accepted = False
        reason = (f"runtime {runtime_delta:+.1f}% on the best runs, but the candidate was faster "
                  f"in only {faster_share:.0%} of the paired calls (at least "
                  f"{required:.0%} needed): not a consistent gain")
    elif score < 0 and (runtime_gain or memory_gain):
        gains = []
        if runtime_gain:
            gains.append(f"runtime {runtime_delta:+.1f}% (floor {floor:g}%)")
        if memory_gain:
            gains.append(f"peak memory {memory_delta:+.1f}% (floor {memory_floor_pct:g}%)")
        accepted, reason = True, "measured gain above the noise floor: " + ", ".join(gains)
    elif score >= 0 and (runtime_gain or memory_gain):
        accepted = False
        reason = (
            f"weighted score {score:+.2f} is not an improvement under weights "
            f"runtime={w['runtime']:g}, memory={w['memory']:g} "
            f"(runtime {runtime_delta:+.1f}%, memory {memory_delta:+.1f}%)"
        )
    else:
        accepted = False
        reason = (
            f"no gain above the noise floor: runtime {runtime_delta:+.1f}% (floor {floor:g}%), "
            f"memory {memory_delta:+.1f}% (floor {memory_floor_pct:g}%)"
        )
    return Score(
        speedup=speedup,
        runtime_delta_pct=runtime_delta,
        memory_delta_pct=memory_delta,
        weighted_score=score,
        noise_floor_pct=floor,
        memory_floor_pct=memory_floor_pct,
        accepted=accepted,
        reason=reason,
    )
