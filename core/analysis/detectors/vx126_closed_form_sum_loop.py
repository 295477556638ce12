"""VX126 closed-form-sum-loop: a loop that only adds ``i``, ``i*i``, ``i**3`` or a constant
over ``range(...)`` computes in O(n) what arithmetic gives in O(1).

Fires on a ``for i in range(...)`` loop whose whole body is ``acc += term`` with such a
term.

Bad::

    total = 0
    for i in range(n):
        total += i * i

Good::

    total = (n - 1) * n * (2 * n - 1) // 6
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._closed_form import FORMULAS, power_of, simple_range
from core.analysis.detectors.base import Detector


def closed_form_loop(node: ast.For, ctx: AnalysisContext) -> int | None:
    """The power of the summed term when ``node`` is such a loop."""
    if not isinstance(node.target, ast.Name) or node.orelse or len(node.body) != 1:
        return None
    stmt = node.body[0]
    if not (
        isinstance(stmt, ast.AugAssign)
        and isinstance(stmt.op, ast.Add)
        and isinstance(stmt.target, ast.Name)
        and stmt.target.id != node.target.id
    ):
        return None
    if not simple_range(node.iter, ctx):
        return None
    found = power_of(stmt.value, node.target.id)
    return found[0] if found else None


class ClosedFormSumLoop(Detector):
    id = "VX126"
    name = "closed-form-sum-loop"
    action_type = "closed_form_math"
    severity = "medium"
    title = "loop sums a polynomial term over a range (O(n))"
    fix = "use the closed-form formula (O(1))"
    node_types = (ast.For,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.For)
        power = closed_form_loop(node, ctx)
        if power is not None:
            ctx.report(self, node, fix=f"use the closed form {FORMULAS[power]}: O(1)")
