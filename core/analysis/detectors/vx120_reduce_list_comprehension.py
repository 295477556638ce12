"""VX120 reduce-list-comprehension: ``sum([...])``, ``min([...])``, ``max([...])`` build the
whole list in memory only to reduce it to one value.

Bad::

    total = sum([len(line) for line in lines])

Good::

    total = sum(len(line) for line in lines)      # no intermediate list
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call
from core.analysis.detectors.base import Detector


class ReduceListComprehension(Detector):
    id = "VX120"
    name = "reduce-list-comprehension"
    action_type = "generator_conversion"
    severity = "low"
    title = "a whole list is built only to be reduced to one value"
    fix = "pass a generator expression (drop the brackets): no intermediate list in memory"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        name = builtin_call(node, ctx, "sum", "min", "max")
        assert isinstance(node, ast.Call)
        if not name or not node.args or not isinstance(node.args[0], ast.ListComp):
            return
        if name == "sum" and len(node.args) > 1:
            return
        if name in ("min", "max") and len(node.args) > 1:
            return
        ctx.report(self, node, title=f"{name}() of a list comprehension builds the whole list first")
