"""VXR006 - count once with ``collections.Counter`` instead of ``.count()`` in a loop.

``xs.count(x)`` scans the whole list; calling it for every item of a loop is quadratic.
A ``Counter`` built once before the loop answers each count in O(1) (and 0 for items that
do not occur, as ``count`` does).

Fires on ``xs.count(item)`` (one positional argument) inside a loop or comprehension of the
same function, where ``xs`` is a local or parameter that is a list (or possibly one: an
unannotated parameter) never rebound or mutated in the region hoisted out of. Not fired
when ``xs`` is known to be a ``str`` (``str.count`` counts substrings) or a mapping/set.
Marked for verification when ``xs``'s items are not known to be hashable or ``xs`` might
be a string.

Bad::

    def word_frequencies(words: list[str]) -> dict[str, int]:
        return {w: words.count(w) for w in words}

Good::

    from collections import Counter

    def word_frequencies(words: list[str]) -> dict[str, int]:
        words_counts = Counter(words)
        return {w: words_counts[w] for w in words}
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


class CounterCount(Rule):
    id = "VXR006"
    name = "counter_count"
    action_type = "specialized_collections"
    detector_ids = ("VX110",)
    description = "Count items once with collections.Counter instead of .count() in a loop."
    reasoning = (
        "Each list.count() scans the whole list, so counting inside a loop is quadratic; "
        "one Counter pass makes every later count an O(1) lookup."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        groups: dict[tuple[str, cst.BaseStatement], list[cst.Call]] = {}
        unproven: list[str] = []
        for func in u.function_scopes(unit.node):
            for call in u.walk(func.body):
                mc = u.method_call(call)
                if mc is None or mc[1] != "count" or not isinstance(mc[0], cst.Name):
                    continue
                assert isinstance(call, cst.Call)
                if len(call.args) != 1 or call.args[0].star or call.args[0].keyword:
                    continue
                if not u.in_scope(ctx, call, func):
                    continue
                name = mc[0].value
                kind, detail = u.local_kind(ctx, func, name)
                if kind in ("str", "set", "mapping", "object"):
                    continue
                if kind == "unknown":
                    if name not in u.param_names(func):
                        continue
                    unproven.append(f"{detail}; it may be a str or hold unhashable items")
                elif detail != "hashable":
                    unproven.append(f"the items of {name} may be unhashable")
                stmt = u.hoist_point(ctx, func, call, [name])
                if stmt is None:
                    continue
                if u.calls_that_may_mutate(ctx, func, stmt, name):
                    unproven.append(f"the loop calls code that might mutate {name}")
                groups.setdefault((name, stmt), []).append(call)
        if not groups:
            return None
        ref = ctx.reference("collections", "Counter", prefer_from=True)
        if ref is None:
            return None
        edits: dict[cst.CSTNode, u.Edit] = {}
        inserts: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
        for (name, stmt), calls in groups.items():
            counts = ctx.fresh_local(unit.node, f"{name}_counts")
            inserts.setdefault(stmt, []).append(u.stmt(f"{counts} = {ref[0]}({name})"))
            for call in calls:
                edits[call] = u.replace_with(
                    u.expr(f"{counts}[{ctx.code(call.args[0].value)}]")
                )
        for stmt, new in inserts.items():
            edits[stmt] = u.insert_before(*new)
        return Rewrite(
            new_node=u.apply_edits(unit.node, edits),
            summary="count "
            + ", ".join(dict.fromkeys(n for n, _ in groups))
            + " once with Counter",
            needs_verification=bool(unproven),
            unproven="; ".join(dict.fromkeys(unproven)),
            imports=[ref[1]] if ref[1] else [],
        )
