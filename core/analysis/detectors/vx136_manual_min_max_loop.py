"""VX136 manual-min-max-loop: a loop that keeps the largest (smallest) item seen so far
with ``if x > best: best = x`` does in the interpreter what ``max()``/``min()`` do in C.

Fires when the loop body is exactly that ``if`` (no ``else``) comparing the loop variable
with the accumulator and assigning the loop variable to it.

Bad::

    best = values[0]
    for v in values:
        if v > best:
            best = v

Good::

    best = max(values)
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors.base import Detector


class ManualMinMaxLoop(Detector):
    id = "VX136"
    name = "manual-min-max-loop"
    action_type = "builtin_function_usage"
    severity = "low"
    title = "maximum/minimum tracked by hand in a loop"
    fix = "use max()/min() (with default= for empty input)"
    node_types = (ast.For,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.For)
        if node.orelse or len(node.body) != 1 or not isinstance(node.target, ast.Name):
            return
        stmt = node.body[0]
        if not (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1):
            return
        assign = stmt.body[0]
        if not (
            isinstance(assign, ast.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0], ast.Name)
            and isinstance(assign.value, ast.Name)
            and assign.value.id == node.target.id
        ):
            return
        best, item = assign.targets[0].id, node.target.id
        test = stmt.test
        if not (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Gt | ast.Lt | ast.GtE | ast.LtE)
        ):
            return
        sides = (test.left, test.comparators[0])
        if not all(isinstance(s, ast.Name) for s in sides):
            return
        ids = [s.id for s in sides]  # type: ignore[attr-defined]
        if sorted(ids) != sorted([best, item]) or best == item:
            return
        bigger = isinstance(test.ops[0], ast.Gt | ast.GtE) == (ids[0] == item)
        func = "max" if bigger else "min"
        ctx.report(self, node, title=f"{'maximum' if bigger else 'minimum'} tracked by hand in a loop", fix=f"use {func}() (with default= for empty input)")
