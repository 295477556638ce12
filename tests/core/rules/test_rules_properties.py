"""Behaviour, not text: generated programs and inputs, original vs rewritten, executed in
process and compared. (Executing our own generated code in-process is fine in tests; the
product runs candidates in the sandbox.)"""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.rules import propose_rewrites

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load(code: str) -> dict[str, Any]:
    ns: dict[str, Any] = {}
    exec(compile(code, "<generated>", "exec"), ns)  # noqa: S102 - generated test programs
    return ns


@functools.cache  # fixed programs are rewritten once, then called on many inputs
def _pair(source: str, rule_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    cands = propose_rewrites(source, rule_ids=[rule_id], strict=True)
    assert len(cands) == 1, source
    assert propose_rewrites(cands[0].optimized_code, rule_ids=[rule_id]) == []
    return _load(source), _load(cands[0].optimized_code)


def _outcome(fn, *args: Any) -> tuple[str, Any]:  # type: ignore[no-untyped-def]
    try:
        return "ok", fn(*args)
    except Exception as exc:  # noqa: BLE001 - compared as type + message
        return "raised", type(exc).__name__


# --- closed forms -------------------------------------------------------------------

coeff = st.integers(-6, 6)
term = st.sampled_from(["1", "i", "i * i", "i**2", "i ** 3", "i * i * i", "(i + 1) * (i - 2)"])
polynomial = st.lists(st.tuples(coeff, term), min_size=1, max_size=4).map(
    lambda ts: " + ".join(f"{c} * ({t})" for c, t in ts)
)
BOUNDS = [(lo, hi) for lo in (-7, -1, 0, 1, 3) for hi in (-8, -1, 0, 1, 2, 5, 40)]


@FAST
@given(polynomial, st.booleans())
def test_closed_form_sum_equals_the_loop(poly: str, as_list: bool) -> None:
    comp = f"([{poly} for i in range(lo, hi)])" if as_list else f"({poly} for i in range(lo, hi))"
    source = f"def f(lo: int, hi: int) -> int:\n    return 3 + sum{comp}\n"
    old, new = _pair(source, "VXR011")
    for lo, hi in BOUNDS:
        assert new["f"](lo, hi) == old["f"](lo, hi), (poly, lo, hi)


@FAST
@given(polynomial, st.sampled_from(["range(n)", "range(2, n)", "range(-3, n)", "range(n, 9)"]))
def test_closed_form_loop_equals_the_loop(poly: str, rng: str) -> None:
    source = (
        "def f(n: int) -> int:\n"
        "    acc = 0\n"
        f"    for i in {rng}:\n"
        f"        acc += {poly}\n"
        "    return acc\n"
    )
    old, new = _pair(source, "VXR012")
    for n in (-5, -1, 0, 1, 2, 3, 10, 57):
        assert new["f"](n) == old["f"](n), (poly, rng, n)


def test_guide_sum_of_squares_is_exact() -> None:
    old, new = _pair("def slow():\n    return sum([i**2 for i in range(1000000)])\n", "VXR011")
    assert new["slow"]() == old["slow"]() == 333332833333500000


# --- string building --------------------------------------------------------------------

piece = st.sampled_from(['f"{x}-"', "str(x)", '"ab"', 'str(x) + ","', '"%s;" % x'])
statement = st.tuples(st.sampled_from(["plain", "if_even", "if_odd_else", "break_big"]), piece)


def _join_program(stmts: list[tuple[str, str]]) -> str:
    lines = ["def build(items: list[int]) -> str:", "    out = ''", "    for x in items:"]
    for kind, p in stmts:
        if kind == "plain":
            lines.append(f"        out += {p}")
        elif kind == "if_even":
            lines += ["        if x % 2 == 0:", f"            out = out + {p}"]
        elif kind == "if_odd_else":
            lines += ["        if x % 2:", f"            out += {p}", "        else:",
                      "            out += '|'"]  # fmt: skip
        else:
            lines += ["        if x > 50:", "            break", f"        out += {p}"]
    lines.append("    return out")
    return "\n".join(lines) + "\n"


@FAST
@given(st.lists(statement, min_size=1, max_size=4), st.lists(st.integers(-5, 99), max_size=15))
def test_join_builds_the_same_string(stmts: list[tuple[str, str]], items: list[int]) -> None:
    old, new = _pair(_join_program(stmts), "VXR004")
    assert new["build"](items) == old["build"](items)


# --- data structures and collections ------------------------------------------------------

ints = st.lists(st.integers(-4, 8), max_size=25)

MEMBERSHIP = """
def common(xs: list[int], ys: list[int]) -> list[int]:
    out = []
    for x in xs:
        if x in ys and x not in out:
            out.append(x)
    return out
"""

COUNTS = """
def counts(xs: list[int]) -> list[tuple[int, int]]:
    return [(x, xs.count(x)) for x in xs if xs.count(x) > 1]
"""

BFS = """
def bfs(n: int, edges: list[tuple[int, int]]) -> list[int]:
    adj = {i: [] for i in range(n)}
    for a, b in edges:
        adj[a % n].append(b % n)
    queue = [0]
    seen = {0}
    order = []
    while queue:
        node = queue.pop(0)
        order.append(node)
        for nxt in adj[node]:
            if nxt not in seen:
                seen.add(nxt)
                queue.insert(0, nxt) if nxt % 2 else queue.append(nxt)
    return order
"""


@FAST
@given(ints, ints)
def test_membership_set_and_dedup_keep_results(xs: list[int], ys: list[int]) -> None:
    for rule in ("VXR002", "VXR003"):
        old, new = _pair(MEMBERSHIP, rule)
        assert new["common"](xs, ys) == old["common"](xs, ys)


@FAST
@given(ints)
def test_counter_counts_like_count(xs: list[int]) -> None:
    old, new = _pair(COUNTS, "VXR006")
    assert new["counts"](xs) == old["counts"](xs)


@FAST
@given(st.integers(1, 12), st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30))))
def test_deque_traversal_order_is_unchanged(n: int, edges: list[tuple[int, int]]) -> None:
    old, new = _pair(BFS, "VXR005")
    assert new["bfs"](n, edges) == old["bfs"](n, edges)


# --- sorting -----------------------------------------------------------------------------

BUBBLE_KEY = """
def rank(rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
    n = len(rows)
    for i in range(n):
        for j in range(0, n - i - 1):
            if rows[j][0] < rows[j + 1][0]:
                rows[j], rows[j + 1] = rows[j + 1], rows[j]
    return rows
"""

INSERTION = """
def ins(xs: list[int]) -> list[int]:
    for i in range(1, len(xs)):
        key = xs[i]
        j = i - 1
        while j >= 0 and xs[j] > key:
            xs[j + 1] = xs[j]
            j = j - 1
        xs[j + 1] = key
    return xs
"""

TOPK = """
def top(xs: list[int], k: int) -> tuple[list[int], list[tuple[int, int]]]:
    pairs = [(x % 3, x) for x in xs]
    return sorted(xs, reverse=True)[:k], sorted(pairs, key=lambda p: p[0])[:k]
"""

MINMAX = """
def extremes(xs: list[int]) -> tuple[int, int]:
    hi = xs[0]
    for x in xs:
        if x > hi:
            hi = x
    lo = xs[0]
    for x in xs[1:]:
        lo = min(lo, x)
    return hi, lo
"""

rows = st.lists(st.tuples(st.integers(0, 4), st.text("abc", max_size=2)), max_size=20)


@FAST
@given(rows)
def test_bubble_with_key_is_a_stable_descending_sort(data: list[tuple[int, str]]) -> None:
    old, new = _pair(BUBBLE_KEY, "VXR009")
    a, b = list(data), list(data)
    assert new["rank"](b) == old["rank"](a)
    assert a == b  # sorted in place the same way


@FAST
@given(ints)
def test_insertion_sort_replacement(xs: list[int]) -> None:
    old, new = _pair(INSERTION, "VXR009")
    assert new["ins"](list(xs)) == old["ins"](list(xs)) == sorted(xs)


@FAST
@given(ints, st.integers(-5, 30))
def test_heapq_top_k_matches_sorted_slices(xs: list[int], k: int) -> None:
    old, new = _pair(TOPK, "VXR008")
    assert new["top"](xs, k) == old["top"](xs, k)


@FAST
@given(ints)
def test_min_max_loops(xs: list[int]) -> None:
    old, new = _pair(MINMAX, "VXR026")
    assert _outcome(new["extremes"], xs) == _outcome(old["extremes"], xs)


FIRST = """
def first(xs: list[int], rows: list[tuple[int, int]]) -> tuple[int, tuple[int, int]]:
    lowest = sorted(xs)[0]
    return lowest, sorted(rows, key=lambda r: r[0], reverse=True)[0]
"""


@FAST
@given(ints, st.lists(st.tuples(st.integers(0, 3), st.integers()), max_size=8))
def test_min_max_instead_of_sort_even_when_empty(xs: list[int], data: list) -> None:
    old, new = _pair(FIRST, "VXR007")
    got, want = _outcome(new["first"], xs, data), _outcome(old["first"], xs, data)
    assert got == want
