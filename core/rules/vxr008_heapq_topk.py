"""VXR008 - take the top k items with ``heapq.nsmallest``/``nlargest``, not a full sort.

``sorted(xs, reverse=True)[:k]`` sorts all n items to keep k of them. ``heapq.nlargest(k,
xs)`` keeps a heap of k: O(n log k) time and O(k) extra memory. The documentation of
``heapq`` defines ``nsmallest(n, it, key)`` as equivalent to ``sorted(it, key=key)[:n]``
and ``nlargest`` to ``sorted(it, key=key, reverse=True)[:n]``, ties included.

Rewrites ``sorted(X, key=K)[:k]`` / ``[0:k]`` to ``heapq.nsmallest(k, X, key=K)`` and the
``reverse=True`` form to ``heapq.nlargest``. ``k`` must be an integer literal or a plain
name (no side effects to reorder); a name is not proven non-negative (a negative ``k``
slices from the end, while ``nsmallest`` returns an empty list), so that candidate is
marked for verification.

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
from core.rules.vxr007_sort_for_minmax import int_literal, sorted_call_parts


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
                why.append(f"{k.value} is not proven non-negative")
            sites.append((sub, parts[2]))
        if not sites:
            return None
        ref = ctx.reference("heapq")
        if ref is None:
            return None
        edits: dict[cst.CSTNode, u.Edit] = {}
        for sub, reverse in sites:
            fn = f"{ref[0]}.{'nlargest' if reverse else 'nsmallest'}"
            edits[sub] = lambda upd, fn=fn: _call(fn, upd)
        return Rewrite(
            new_node=u.apply_edits(unit.node, edits),
            summary="keep the top k items with heapq instead of a full sort",
            needs_verification=bool(why),
            unproven="; ".join(dict.fromkeys(why)),
            imports=[ref[1]] if ref[1] else [],
        )


def _call(fn: str, sub: cst.Subscript) -> cst.Call:
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
