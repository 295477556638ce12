"""VXR007 - take the smallest or largest item with ``min``/``max``, not by sorting.

``sorted(xs)[0]`` sorts the whole input (O(n log n) time, O(n) memory) to read one item;
``min(xs)`` is a single O(1)-memory pass.

Rewrites ``sorted(X, key=K, reverse=R)[0]`` and ``[-1]``:

* ``sorted(X)[0]`` / ``sorted(X, key=K)[0]`` -> ``min(X)`` / ``min(X, key=K)``
* ``sorted(X, reverse=True)[0]`` (with or without ``key``) -> ``max(...)``
* ``sorted(X)[-1]`` -> ``max(X)``; ``sorted(X, reverse=True)[-1]`` -> ``min(X)``

The first two keep the exact tie-breaking (sorting is stable, and ``min``/``max`` return
the first extreme item). Every candidate is marked for verification: on an empty input
``min``/``max`` raise ValueError where indexing raised IndexError, and the ``[-1]`` forms
pick the *first* of several equal extremes where the sort picked the last.

Bad::

    def cheapest(prices: list[float]) -> float:
        return sorted(prices)[0]

Good::

    def cheapest(prices: list[float]) -> float:
        return min(prices)
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


def sorted_call_parts(ctx: ModuleContext, call: cst.CSTNode):  # type: ignore[no-untyped-def]
    """``sorted(X, key=K, reverse=R)`` -> (X arg, key arg or None, reverse: bool) when the
    call has that exact shape with a literal ``reverse``; else None."""
    if not (
        isinstance(call, cst.Call)
        and u.called_name(call) == "sorted"
        and u.builtin_available(ctx, "sorted")
        and call.args
        and call.args[0].keyword is None
        and call.args[0].star == ""
    ):
        return None
    key = None
    reverse = False
    for a in call.args[1:]:
        if a.star or a.keyword is None:
            return None
        if a.keyword.value == "key":
            key = a
        elif a.keyword.value == "reverse":
            if not isinstance(a.value, cst.Name) or a.value.value not in ("True", "False"):
                return None
            reverse = a.value.value == "True"
        else:
            return None
    return call.args[0], key, reverse


def single_index(sub: cst.Subscript) -> cst.BaseExpression | None:
    if len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index):
        return sub.slice[0].slice.value
    return None


def int_literal(e: cst.BaseExpression | None) -> int | None:
    if isinstance(e, cst.Integer):
        return int(e.evaluated_value)
    if (
        isinstance(e, cst.UnaryOperation)
        and isinstance(e.operator, cst.Minus)
        and isinstance(e.expression, cst.Integer)
    ):
        return -int(e.expression.evaluated_value)
    return None


def _call(fn: str, sub: cst.Subscript) -> cst.Call:
    """``fn(X, key=K)`` from the (possibly already rewritten) ``sorted(...)[i]`` node."""
    call = sub.value
    assert isinstance(call, cst.Call)
    x = call.args[0]
    key = next((a for a in call.args[1:] if a.keyword and a.keyword.value == "key"), None)
    args = [x.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
    if key is not None:
        args = [
            x.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            key.with_changes(comma=cst.MaybeSentinel.DEFAULT),
        ]
    return cst.Call(func=cst.Name(fn), args=args, lpar=sub.lpar, rpar=sub.rpar)


class SortForMinMax(Rule):
    id = "VXR007"
    name = "sort_for_min_max"
    action_type = "sorting_optimization"
    detector_ids = ("VX107",)
    description = "Use min()/max() instead of sorting to take the first or last item."
    reasoning = (
        "Sorting is O(n log n) and copies the input to read a single item; min()/max() "
        "find it in one O(n) pass without building a list."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        why: list[str] = []
        for sub in u.walk(unit.node):
            if not isinstance(sub, cst.Subscript) or ctx.expr_ctx.get(sub) is None:
                continue
            parts = sorted_call_parts(ctx, sub.value)
            pos = int_literal(single_index(sub))
            if parts is None or pos not in (0, -1):
                continue
            _arg, _key, reverse = parts
            first = pos == 0
            fn = "min" if first != reverse else "max"
            if not u.builtin_available(ctx, fn):
                continue
            edits[sub] = lambda upd, fn=fn: _call(fn, upd)
            why.append("an empty input raises ValueError instead of IndexError")
            if not first:
                why.append("equal extremes resolve to the first item instead of the last")
        return u.finish(
            unit.node,
            edits,
            "take the extreme item with min()/max() instead of sorting",
            why,
        )
