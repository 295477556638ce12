"""VX132 list-remove-in-loop: ``lst.remove(x)`` searches the list and shifts the rest:
O(n) each, O(n^2) when done for many items in a loop.

Fires inside loops when ``lst`` is a list the function builds itself.

Bad::

    pending = list(tasks)
    for task in finished:
        pending.remove(task)

Good::

    finished_set = set(finished)
    pending = [t for t in tasks if t not in finished_set]
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import method_call
from core.analysis.detectors.base import Detector


class ListRemoveInLoop(Detector):
    id = "VX132"
    name = "list-remove-in-loop"
    action_type = "data_structure_optimization"
    severity = "high"
    title = "list.remove() inside a loop (search and shift, O(n) each)"
    fix = "keep the items in a set, or rebuild the list once with a filtering comprehension"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop:
            return
        found = method_call(node, "remove")
        if not found or not isinstance(found[0], ast.Name) or len(node.args) != 1:  # type: ignore[attr-defined]
            return
        name = found[0].id
        if facts.is_local_list(name, ctx):
            ctx.report(self, node, title=f"{name}.remove() inside a loop (search and shift, O(n) each)")
