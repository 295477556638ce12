"""Timing loop, cache and state reset, and the acceptance rule (in process)."""

from __future__ import annotations

import functools
import types

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.verify.measure import (
    ModuleState,
    Variant,
    module_caches,
    normalize_weights,
    peak_memory,
    score_measurement,
    time_interleaved,
    weighted_score,
)


def test_weighted_score_is_the_weighted_sum():
    # The guide's example inputs. Its printed -79.86 does not follow from them:
    # 0.8 * -99.8 + 0.2 * 0.1 = -79.82 (see the report to the lead).
    assert weighted_score(-99.8, 0.1, {"runtime": 0.8, "memory": 0.2}) == pytest.approx(-79.82)


@given(st.floats(-100, 1000), st.floats(-100, 1000), st.floats(0, 1), st.floats(0, 1))
def test_weighted_score_is_linear(rt, mem, w1, w2):
    assert weighted_score(rt, mem, {"runtime": w1, "memory": w2}) == pytest.approx(
        w1 * rt + w2 * mem)


def test_bad_weights_are_refused():
    with pytest.raises(ValueError, match="unknown"):
        normalize_weights({"speed": 1.0})
    with pytest.raises(ValueError, match="non-negative"):
        normalize_weights({"runtime": -1, "memory": 0.5})
    with pytest.raises(ValueError, match="positive"):
        normalize_weights({"runtime": 0, "memory": 0})
    assert normalize_weights(None) == {"runtime": 0.5, "memory": 0.5}


def _score(orig_ns, cand_ns, orig_mem=0, cand_mem=0, inputs=1, **kw):
    return score_measurement(original_ns=orig_ns, candidate_ns=cand_ns,
                             original_memory_bytes=orig_mem, candidate_memory_bytes=cand_mem,
                             inputs=inputs, **kw)


def test_noise_floor_is_5_percent_for_slow_and_15_for_fast_originals():
    slow = _score(100_000, 96_000, weights={"runtime": 1, "memory": 0})  # -4 % at 100 us
    assert not slow.accepted and slow.noise_floor_pct == 5
    assert _score(100_000, 94_000, weights={"runtime": 1, "memory": 0}).accepted
    fast = _score(5_000, 4_400, weights={"runtime": 1, "memory": 0})  # -12 % at 5 us
    assert not fast.accepted and fast.noise_floor_pct == 15
    assert _score(5_000, 4_000, weights={"runtime": 1, "memory": 0}).accepted
    custom = _score(5_000, 4_400, weights={"runtime": 1, "memory": 0}, fast_floor_pct=10)
    assert custom.accepted


def test_speedup_and_deltas():
    s = _score(1_000_000, 10_000, weights={"runtime": 0.8, "memory": 0.2})
    assert s.speedup == pytest.approx(100.0)
    assert s.runtime_delta_pct == pytest.approx(-99.0)
    assert s.accepted


def test_memory_gain_accepted_only_when_memory_has_weight():
    kw = {"orig_mem": 10 << 20, "cand_mem": 5 << 20}
    assert _score(100_000, 100_000, weights={"runtime": 0.5, "memory": 0.5}, **kw).accepted
    assert not _score(100_000, 100_000, weights={"runtime": 1.0, "memory": 0.0}, **kw).accepted


def test_faster_but_memory_hungry_is_refused_when_memory_dominates():
    s = _score(100_000, 80_000, orig_mem=1 << 20, cand_mem=4 << 20,
               weights={"runtime": 0.2, "memory": 0.8})
    assert not s.accepted and "weighted score" in s.reason


def test_tiny_memory_changes_are_measured_against_a_baseline():
    s = _score(100_000, 1_000, orig_mem=100, cand_mem=1_100, inputs=2,
               weights={"runtime": 1, "memory": 0}, memory_baseline_bytes=1_000)
    assert s.memory_delta_pct == pytest.approx(50.0)  # 1000 extra bytes over 2 x 1000


def _module(src: str) -> types.ModuleType:
    module = types.ModuleType("m")
    exec(src, module.__dict__)
    return module


def test_caches_are_found_through_wrapped_chains_and_classes():
    module = _module(
        "import functools\n"
        "def deco(f):\n    @functools.wraps(f)\n    def w(*a): return f(*a)\n    return w\n"
        "@deco\n@functools.lru_cache(maxsize=None)\ndef f(n): return n\n"
        "class C:\n    @staticmethod\n    @functools.cache\n    def g(n): return n\n"
    )
    module.C.__module__ = "m"
    caches = module_caches(module)
    assert len(caches) == 2
    module.f(1)
    module.C.g(1)
    ModuleState(module).restore()
    assert all(c.cache_info().currsize == 0 for c in caches)


def test_module_state_restores_globals_and_containers():
    module = _module("memo = {}\ncount = 0\ndef f(n):\n    global count\n"
                     "    count += 1\n    memo[n] = n\n    return n\n")
    state = ModuleState(module)
    module.f(3)
    assert module.memo == {3: 3} and module.count == 1
    state.restore()
    assert module.memo == {} and module.count == 0


def test_time_interleaved_clears_caches_between_loops():
    calls = []

    @functools.cache
    def cached(n):
        calls.append(n)
        return n

    plain = Variant(prepare=lambda i: ((i,), {}), call=lambda a, k: a[0], reset=lambda: None)
    memo = Variant(prepare=lambda i: ((i,), {}), call=lambda a, k: cached(*a),
                   reset=cached.cache_clear)
    timing = time_interleaved(plain, memo, 3, budget_s=0.0, min_loops=5, max_loops=5)
    assert timing["loops"] == 5 and timing["inputs"] == 3
    assert len(calls) == 3 * 6  # warm-up + 5 loops: the cache never carried a result over
    assert timing["original_ns"] > 0 and timing["candidate_ns"] > 0


def test_time_interleaved_refuses_no_inputs():
    v = Variant(prepare=lambda i: ((), {}), call=lambda a, k: None, reset=lambda: None)
    with pytest.raises(ValueError):
        time_interleaved(v, v, 0)


def test_peak_memory_sees_allocations():
    small = Variant(prepare=lambda i: ((), {}), call=lambda a, k: None, reset=lambda: None)
    big = Variant(prepare=lambda i: ((), {}), call=lambda a, k: bytearray(1 << 20),
                  reset=lambda: None)
    assert peak_memory(big, 2)[0] >= 1 << 20
    assert peak_memory(small, 2)[0] < 4096


def test_a_gain_only_the_best_runs_show_is_not_accepted():
    """Min-of-loops rewards one lucky run; the paired calls say whether the gain holds."""
    common = dict(original_ns=100_000, candidate_ns=80_000, original_memory_bytes=0,
                  candidate_memory_bytes=0, inputs=5, weights={"runtime": 1.0, "memory": 0.0})
    assert score_measurement(**common, faster_share=0.9).accepted
    erratic = score_measurement(**common, faster_share=0.4)
    assert not erratic.accepted
    assert "faster in only 40% of the paired calls (at least 60% needed)" in erratic.reason
    assert score_measurement(**common).accepted  # no pairing reported: the floors decide
    # how many pairs were seen sets the bar: two standard deviations of a fair coin
    assert score_measurement(**common, faster_share=0.55, effective_pairs=2000).accepted
    assert not score_measurement(**common, faster_share=0.55, effective_pairs=100).accepted
    assert not score_measurement(**common, faster_share=0.8, effective_pairs=5).accepted
    # a memory gain does not need the runtime to be consistent
    lean = dict(common, original_memory_bytes=10 << 20, candidate_memory_bytes=1 << 20,
                weights={"runtime": 0.5, "memory": 0.5})
    assert score_measurement(**lean, faster_share=0.4).accepted


def test_time_interleaved_counts_the_paired_calls_the_candidate_wins():
    import time

    slow = Variant(prepare=lambda i: ((), {}), call=lambda a, k: time.sleep(0.002), reset=lambda: None)
    fast = Variant(prepare=lambda i: ((), {}), call=lambda a, k: None, reset=lambda: None)
    timing = time_interleaved(slow, fast, 2, budget_s=0.0, min_loops=6, max_loops=6)
    assert timing["loops"] == 6 and timing["faster_share"] == pytest.approx(1.0)
    timing = time_interleaved(fast, slow, 2, budget_s=0.0, min_loops=6, max_loops=6)
    assert timing["faster_share"] == pytest.approx(0.0)


def test_the_paired_share_is_weighted_by_where_the_time_is():
    """fib memoized: slower on many tiny inputs, far faster on the one that takes time."""
    import time

    def original(a, k):
        time.sleep(0.004 if a[0] else 0)

    def candidate(a, k):
        if a[0]:
            return None
        time.sleep(0.0005)  # slower on the cheap inputs
        return None

    prepare = {0: ((1,), {}), 1: ((0,), {}), 2: ((0,), {}), 3: ((0,), {})}.__getitem__
    o = Variant(prepare=prepare, call=original, reset=lambda: None)
    c = Variant(prepare=prepare, call=candidate, reset=lambda: None)
    timing = time_interleaved(o, c, 4, budget_s=0.0, min_loops=5, max_loops=5)
    assert timing["faster_share"] > 0.6  # 1 input in 4 won, but it holds the time
    assert 5 <= timing["effective_pairs"] < 10  # about one input's 5 pairs, not 4 x 5
