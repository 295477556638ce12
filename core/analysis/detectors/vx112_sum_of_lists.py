"""VX112 sum-of-lists: ``sum(lists, [])`` concatenates by building a new list for every
item: O(n^2) copying.

Bad::

    flat = sum(rows, [])

Good::

    flat = [x for row in rows for x in row]      # or list(itertools.chain.from_iterable(rows))
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call
from core.analysis.detectors.base import Detector


class SumOfLists(Detector):
    id = "VX112"
    name = "sum-of-lists"
    action_type = "algorithm_change"
    severity = "high"
    title = "lists concatenated with sum(..., []) (quadratic copying)"
    fix = "flatten with a comprehension or itertools.chain.from_iterable (linear)"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not builtin_call(node, ctx, "sum"):
            return
        assert isinstance(node, ast.Call)
        start = node.args[1] if len(node.args) == 2 else None
        for k in node.keywords:
            if k.arg == "start":
                start = k.value
        if isinstance(start, ast.List | ast.Tuple):
            ctx.report(self, node)
