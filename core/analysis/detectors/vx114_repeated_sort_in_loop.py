"""VX114 repeated-sort-in-loop: ``sorted(data)`` inside a loop, where ``data`` does not
change between iterations, sorts the same data again on every iteration.

Fires when the sorted expression is loop-invariant: it reads only local names that the
loop neither rebinds nor may mutate, and calls only pure builtins.

Bad::

    for query in queries:
        ranked = sorted(scores)
        answer.append(ranked[query])

Good::

    ranked = sorted(scores)           # once
    for query in queries:
        answer.append(ranked[query])
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call
from core.analysis.detectors.base import Detector


class RepeatedSortInLoop(Detector):
    id = "VX114"
    name = "repeated-sort-in-loop"
    action_type = "sorting_optimization"
    severity = "high"
    title = "the same data is sorted again on every loop iteration"
    fix = "sort once before the loop and reuse the result"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop or not builtin_call(node, ctx, "sorted"):
            return
        assert isinstance(node, ast.Call)
        if not node.args or isinstance(node.args[0], ast.Constant):
            return
        if facts.is_loop_invariant(node, ctx.loops[-1], ctx):
            ctx.report(self, node)
