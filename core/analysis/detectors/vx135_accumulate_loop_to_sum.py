"""VX135 accumulate-loop-to-sum: ``total = 0`` followed by a loop that only does
``total += f(x)`` runs the addition in the interpreter; ``sum()`` runs it in C.

Fires when the statement right before the loop sets the accumulator to a numeric
constant, the loop body is the single ``+=`` and its term reads the loop variable but not
the accumulator. Sums over ``range`` with a closed form are VX126's.

Bad::

    total = 0
    for item in cart:
        total += item.price * item.quantity

Good::

    total = sum(item.price * item.quantity for item in cart)
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import assigned_just_before, target_names
from core.analysis.detectors.base import Detector
from core.analysis.detectors.vx126_closed_form_sum_loop import closed_form_loop


class AccumulateLoopToSum(Detector):
    id = "VX135"
    name = "accumulate-loop-to-sum"
    action_type = "builtin_function_usage"
    severity = "low"
    title = "numbers summed by hand in a loop"
    fix = "use sum() over a generator expression (the loop runs in C)"
    node_types = (ast.For,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.For)
        if node.orelse or len(node.body) != 1:
            return
        stmt = node.body[0]
        if not (
            isinstance(stmt, ast.AugAssign)
            and isinstance(stmt.op, ast.Add)
            and isinstance(stmt.target, ast.Name)
        ):
            return
        acc = stmt.target.id
        names = facts.names_in(stmt.value)
        targets = target_names(node.target)
        if acc in names or acc in targets or not names & targets:
            return
        if closed_form_loop(node, ctx) is not None:
            return
        init = assigned_just_before(ctx, node, acc)
        if isinstance(init, ast.Constant) and type(init.value) in (int, float):
            ctx.report(self, node, title=f"{acc!r} summed by hand in a loop")
