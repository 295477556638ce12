"""VX101 list-membership-in-loop: ``x in some_list`` inside a loop scans the list every time.

Fires only when the container is a list this function builds itself (a display with more
than a handful of items, a comprehension, ``list()``/``sorted()``, or a list that grows by
``append``/``extend``/``insert``/``+=``) and is not rebuilt on every iteration.

Not inside an ``except TypeError`` handler, nor on a list that receives items only in
such handlers: that list is the fallback for values that failed hashing (more-itertools'
``unique_everseen``), which no set can hold.

Bad::

    seen = []
    for item in items:
        if item not in seen:      # O(len(seen)) per test: O(n^2) overall
            seen.append(item)

Good::

    seen = set()
    for item in items:
        if item not in seen:      # O(1)
            seen.add(item)
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors.base import Detector

_GROWING = frozenset({"append", "extend", "insert"})
_SMALL_DISPLAY = 8


class ListMembershipInLoop(Detector):
    id = "VX101"
    name = "list-membership-in-loop"
    action_type = "data_structure_optimization"
    severity = "high"
    title = "membership test on a list inside a loop (O(n) per test)"
    fix = "build a set once (or keep a set beside the list) and test membership against it"
    node_types = (ast.Compare,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop:
            return
        assert isinstance(node, ast.Compare)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if not isinstance(op, ast.In | ast.NotIn) or not isinstance(comparator, ast.Name):
                continue
            name = comparator.id
            if not facts.is_local_list(name, ctx) or not _may_be_large(name, ctx):
                continue
            if name in facts.loop_facts(ctx.loops[-1], ctx).stores:
                continue  # rebuilt on each iteration: a per-iteration list, not a lookup table
            if facts.in_type_error_handler(ctx) or name in facts.unhashable_lists(ctx.scope):
                continue  # the fallback for unhashable values: a set cannot hold them
            ctx.report(self, node, title=f"membership test on list '{name}' inside a loop")


def _may_be_large(name: str, ctx: AnalysisContext) -> bool:
    sf = facts.scope_facts(ctx.scope)
    if sf.methods.get(name, set()) & _GROWING:
        return True
    for b in sf.bindings.get(name, []):
        if b.kind == "augassign":
            return True
        value = b.value
        if isinstance(value, ast.List):
            if len(value.elts) > _SMALL_DISPLAY or any(
                not isinstance(e, ast.Constant) for e in value.elts
            ):
                return True
        elif value is not None:
            return True
    return False
