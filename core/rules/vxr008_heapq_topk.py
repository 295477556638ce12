"""VXR008 - take the top k items with ``heapq.nsmallest``/``nlargest``, not a full sort.

``sorted(xs, reverse=True)[:k]`` sorts all n items to keep k of them. ``heapq.nlargest(k,
xs)`` keeps a heap of k: O(n log k) time and O(k) extra memory. The documentation of
``heapq`` defines ``nsmallest(n, it, key)`` as equivalent to ``sorted(it, key=key)[:n]``
and ``nlargest`` to ``sorted(it, key=key, reverse=True)[:n]``, ties included.

Rewrites ``sorted(X, key=K)[:k]`` / ``[0:k]`` to ``heapq.nsmallest(k, X, key=K)`` and the
``reverse=True`` form to ``heapq.nlargest``. ``k`` must be a non-negative integer literal
or a plain name (no side effects to reorder). A negative ``k`` slices from the end while
``nsmallest`` returns an empty list, so a name gets a guard that keeps the original for
that case: ``heapq.nsmallest(k, X) if k >= 0 else sorted(X)[:k]``; unless ``k`` is a
parameter annotated ``int`` the candidate is marked for verification (``None`` slices
everything but fails the comparison).

Bad::

    def leaders(scores: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:3]

Good::

    import heapq

    def leaders(scores: dict[str, int]) -> list[tuple[str, int]]:
        return heapq.nlargest(3, scores.items(), key=lambda kv: kv[1])
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule
from core.rules.vxr007_sort_for_minmax import (
    int_literal,
    own_guard,
    sorted_call_parts,
    standalone,
)


class HeapqTopK(Rule):
    id = "VXR008"
    name = "heapq_top_k"
    action_type = "sorting_optimization"
    detector_ids = ("VX107",)
    description = "Use heapq.nsmallest/nlargest instead of sorting everything to keep k items."
    reasoning = (
        "A full sort is O(n log n) and copies every item to keep k of them; a k-sized heap "
        "is O(n log k) time and O(k) memory, with the same order and ties."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        sites = []
        why: list[str] = []
        for sub in u.walk(unit.node):
            if not isinstance(sub, cst.Subscript) or ctx.expr_ctx.get(sub) is None:
                continue
            parts = sorted_call_parts(ctx, sub.value)
            if parts is None or len(sub.slice) != 1:
                continue
            if own_guard(ctx, sub, ("nlargest", "nsmallest")):
                continue
            sl = sub.slice[0].slice
            if not isinstance(sl, cst.Slice) or sl.step is not None or sl.upper is None:
                continue
            if sl.lower is not None and int_literal(sl.lower) != 0:
                continue
            k = sl.upper
            lit = int_literal(k)
            if lit is not None and lit < 0:
                continue
            if lit is None:
                if not isinstance(k, cst.Name):
                    continue
                func = u.enclosing_scope(ctx, sub)
                if not (isinstance(func, cst.FunctionDef) and _int_param(ctx, func, k.value)):
                    why.append(f"{k.value} is not proven to be an int")
            sites.append((sub, parts[2], lit is None, standalone(ctx, sub)))
        if not sites:
            return None
        ref = ctx.reference("heapq")
        if ref is None:
            return None
        edits: dict[cst.CSTNode, u.Edit] = {}
        for sub, reverse, guard, alone in sites:
            fn = f"{ref[0]}.{'nlargest' if reverse else 'nsmallest'}"
            edits[sub] = lambda upd, fn=fn, g=guard, a=alone: _call(fn, upd, g, a)
        return u.finish(
            unit.node,
            edits,
            "keep the top k items with heapq instead of a full sort",
            why,
            imports=[ref[1]] if ref[1] else [],
        )


def _call(fn: str, sub: cst.Subscript, guarded: bool, alone: bool) -> cst.BaseExpression:
    """``heapq.nlargest(k, X, key=K)``; when ``k`` is a name, ``... if k >= 0 else
    <the original slice>`` (a negative k slices from the end, nlargest would return [])."""
    new = _heap_call(fn, sub)
    if not guarded:
        return new
    code = cst.Module(body=[]).code_for_node
    k = code(sub.slice[0].slice.upper)  # type: ignore[attr-defined]
    text = f"{code(new)} if {k} >= 0 else {code(sub.with_changes(lpar=[], rpar=[]))}"
    return u.expr(text if alone else f"({text})")


def _int_param(ctx: ModuleContext, func: cst.FunctionDef, name: str) -> bool:
    return any(
        p.name.value == name and u.annotation_text(ctx, p) == "int" for p in u.params_of(func)
    )


def _heap_call(fn: str, sub: cst.Subscript) -> cst.Call:
    call = sub.value
    assert isinstance(call, cst.Call)
    k = sub.slice[0].slice.upper  # type: ignore[attr-defined]
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    key = next((a for a in call.args[1:] if a.keyword and a.keyword.value == "key"), None)
    args = [cst.Arg(value=k, comma=comma), call.args[0].with_changes(comma=comma)]
    if key is not None:
        args.append(key.with_changes(comma=cst.MaybeSentinel.DEFAULT))
    else:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return cst.Call(func=u.expr(fn), args=args, lpar=sub.lpar, rpar=sub.rpar)
