"""VX115 sort-after-append-in-loop: adding items to a list and calling ``lst.sort()`` on
every iteration re-sorts the whole list each time.

Fires on ``lst.sort()`` inside a loop that also appends to, extends or inserts into
``lst``, when ``lst`` is not created afresh on each iteration.

Bad::

    ranked = []
    for score in stream:
        ranked.append(score)
        ranked.sort()

Good::

    import bisect

    ranked = []
    for score in stream:
        bisect.insort(ranked, score)      # O(log n) search + one shift
    # or, when the order is only needed after the loop: append all, then sort once
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import method_call
from core.analysis.detectors.base import Detector

_GROW = frozenset({"append", "extend", "insert"})


class SortAfterAppendInLoop(Detector):
    id = "VX115"
    name = "sort-after-append-in-loop"
    action_type = "sorting_optimization"
    severity = "high"
    title = "list re-sorted on every iteration after adding items"
    fix = "keep it sorted with bisect.insort, or append everything and sort once after the loop"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop:
            return
        found = method_call(node, "sort")
        if not found or not isinstance(found[0], ast.Name):
            return
        name = found[0].id
        loop = facts.loop_facts(ctx.loops[-1], ctx)
        if name in loop.stores:
            return  # built afresh on each iteration, then sorted once: fine
        for call in loop.calls:
            grow = method_call(call, *_GROW)
            if grow and isinstance(grow[0], ast.Name) and grow[0].id == name:
                ctx.report(self, node, title=f"list {name!r} re-sorted on every iteration")
                return
