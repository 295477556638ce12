"""VX127 closed-form-sum-call: ``sum(range(n))`` or ``sum(i * i for i in range(n))`` adds up
n terms that a formula gives at once.

Bad::

    squares = sum(i ** 2 for i in range(n))

Good::

    squares = (n - 1) * n * (2 * n - 1) // 6
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._closed_form import FORMULAS, power_of, simple_range
from core.analysis.detectors._helpers import builtin_call
from core.analysis.detectors.base import Detector


class ClosedFormSumCall(Detector):
    id = "VX127"
    name = "closed-form-sum-call"
    action_type = "closed_form_math"
    severity = "low"
    title = "sum() over a range of polynomial terms (O(n))"
    fix = "use the closed-form formula (O(1))"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not builtin_call(node, ctx, "sum"):
            return
        assert isinstance(node, ast.Call)
        if len(node.args) != 1 or node.keywords:
            return
        arg = node.args[0]
        power = None
        if simple_range(arg, ctx):
            power = 1
        elif isinstance(arg, ast.GeneratorExp | ast.ListComp) and len(arg.generators) == 1:
            gen = arg.generators[0]
            if isinstance(gen.target, ast.Name) and not gen.ifs and simple_range(gen.iter, ctx):
                found = power_of(arg.elt, gen.target.id)
                power = found[0] if found and found[0] > 0 else None
        if power is not None:
            ctx.report(self, node, fix=f"use the closed form {FORMULAS[power]}: O(1)")
