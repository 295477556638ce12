"""VXR007 - take the smallest or largest item with ``min``/``max``, not by sorting.

``sorted(xs)[0]`` sorts the whole input (O(n log n) time, O(n) memory) to read one item;
``min(xs)`` is a single O(1)-memory pass.

Rewrites ``sorted(X, key=K, reverse=R)[0]`` and ``[-1]``:

* ``sorted(X)[0]`` / ``sorted(X, key=K)[0]`` -> ``min(X)`` / ``min(X, key=K)``
* ``sorted(X, reverse=True)[0]`` (with or without ``key``) -> ``max(...)``
* ``sorted(X)[-1]`` -> ``max(X)``; ``sorted(X, reverse=True)[-1]`` -> ``min(X)``

The first two keep the exact tie-breaking (sorting is stable, and ``min``/``max`` return
the first extreme item). On an empty input ``min``/``max`` would raise ValueError where
indexing raised IndexError, so when ``X`` can be tested cheaply (a name, an attribute,
``d.items()``...) the rewrite keeps the original expression for the empty case:
``min(X) if X else sorted(X)[0]``. Marked for verification when ``X`` might be an
iterator (always true), when there is no such guard, and for the ``[-1]`` forms, which
pick the *first* of several equal extremes where the sort picked the last (unless ``X``
is a list of ``int`` or ``str``, whose equal items are indistinguishable).

Bad::

    def cheapest(prices: list[float]) -> float:
        return sorted(prices)[0]

Good::

    def cheapest(prices: list[float]) -> float:
        return min(prices) if prices else sorted(prices)[0]
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


def _call(fn: str, sub: cst.Subscript, guarded: bool, alone: bool) -> cst.BaseExpression:
    """``fn(X, key=K)`` from the (possibly already rewritten) ``sorted(...)[i]`` node; when
    ``guarded``, ``fn(...) if X else sorted(...)[i]`` so an empty input still raises the
    very IndexError it raised."""
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
    new = cst.Call(func=cst.Name(fn), args=args)
    if not guarded:
        return new.with_changes(lpar=sub.lpar, rpar=sub.rpar)
    code = cst.Module(body=[]).code_for_node
    text = f"{code(new)} if {code(x.value)} else {code(sub.with_changes(lpar=[], rpar=[]))}"
    return u.expr(text if alone else f"({text})")


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
            if parts is None or pos not in (0, -1) or own_guard(ctx, sub, ("min", "max")):
                continue
            arg, key, reverse = parts
            first = pos == 0
            fn = "min" if first != reverse else "max"
            if not u.builtin_available(ctx, fn):
                continue
            func = u.enclosing_scope(ctx, sub)
            x = arg.value
            guard = cheap_sized_guard(ctx, func, x)
            if guard is None:
                why.append("an empty input raises ValueError instead of IndexError")
            elif guard:
                why.append(guard)
            alone = standalone(ctx, sub)
            edits[sub] = lambda upd, fn=fn, g=guard is not None, a=alone: _call(fn, upd, g, a)
            if not first and (key is not None or not _int_or_str_list(ctx, func, x)):
                why.append("equal extremes resolve to the first item instead of the last")
        return u.finish(
            unit.node,
            edits,
            "take the extreme item with min()/max() instead of sorting",
            why,
        )


def cheap_sized_guard(ctx: ModuleContext, func, x: cst.BaseExpression) -> str | None:  # type: ignore[no-untyped-def]
    """Whether ``x`` can be tested for emptiness cheaply and without effects (a name, an
    attribute of a name, or ``d.keys()/values()/items()``): None when not; "" when its
    truth value is known to mean non-empty; else the reason that is not proven."""
    node = x
    mc = u.method_call(x)
    if mc is not None and mc[1] in ("keys", "values", "items") and not x.args:  # type: ignore[attr-defined]
        node = mc[0]
        if not isinstance(node, cst.Name | cst.Attribute):
            return None
        return ""  # dict views are sized
    while isinstance(node, cst.Attribute):
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    if isinstance(x, cst.Name) and isinstance(func, cst.FunctionDef):
        kind, _ = u.local_kind(ctx, func, x.value)
        if kind in ("list", "str", "set", "mapping"):
            return ""
    return f"{ctx.code(x).strip()} may be an iterator (always true, so empty is not caught)"


def own_guard(ctx: ModuleContext, sub: cst.CSTNode, fns: tuple[str, ...]) -> bool:
    """``sub`` is the fallback branch of a guard this family of rules wrote:
    ``fn(...) if X else <sub>``."""
    p = ctx.parents.get(sub)
    if not (isinstance(p, cst.IfExp) and p.orelse is sub):
        return False
    body = p.body
    return isinstance(body, cst.Call) and (
        u.called_name(body) in fns
        or (isinstance(body.func, cst.Attribute) and body.func.attr.value in fns)
    )


def standalone(ctx: ModuleContext, node: cst.CSTNode) -> bool:
    """``node`` is a whole statement value or call argument: a conditional expression can
    replace it without parentheses."""
    p = ctx.parents.get(node)
    return isinstance(p, cst.Return | cst.Assign | cst.AnnAssign | cst.AugAssign | cst.Expr) or (
        isinstance(p, cst.Arg) and isinstance(ctx.parents.get(p), cst.Call)
    )


def _int_or_str_list(ctx: ModuleContext, func, x: cst.BaseExpression) -> bool:  # type: ignore[no-untyped-def]
    import re

    return isinstance(x, cst.Name) and isinstance(func, cst.FunctionDef) and any(
        p.name.value == x.value
        and re.fullmatch(r"(list|List|Sequence|tuple)\[(int|str)(,\.\.\.)?\]",
                         u.annotation_text(ctx, p) or "")
        for p in u.params_of(func)
    )  # fmt: skip
