"""VX119 any-all-list-comprehension: ``any([...])``/``all([...])`` over a list
comprehension evaluates every item before testing, losing the short circuit.

Bad::

    if any([is_valid(x) for x in items]):    # calls is_valid on every item
        ...

Good::

    if any(is_valid(x) for x in items):      # stops at the first True
        ...
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call
from core.analysis.detectors.base import Detector


class AnyAllListComprehension(Detector):
    id = "VX119"
    name = "any-all-list-comprehension"
    action_type = "short_circuit_evaluation"
    severity = "medium"
    title = "any()/all() over a list comprehension evaluates every item"
    fix = "pass a generator expression (drop the brackets) so it stops at the first decisive item"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        name = builtin_call(node, ctx, "any", "all")
        assert isinstance(node, ast.Call)
        if name and len(node.args) == 1 and isinstance(node.args[0], ast.ListComp):
            ctx.report(self, node, title=f"{name}() over a list comprehension evaluates every item")
