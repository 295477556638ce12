"""VX142 discarded-pure-call: a statement that calls a pure builtin (``sorted(x)``,
``sum(x)``, ``list(x)``...) and throws the result away does O(n) work for nothing, and
often hides a bug (``sorted(x)`` where ``x.sort()`` was meant).

Calls inside a ``try`` block (validation by "does it raise?") and calls that drive a
generator or ``map`` for its side effects are not reported.

Bad::

    sorted(names)          # result discarded: names is unchanged

Good::

    names.sort()           # or: names = sorted(names)
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call
from core.analysis.detectors.base import Detector

_FUNCS = ("sorted", "sum", "min", "max", "list", "tuple", "set", "frozenset", "dict", "abs", "round", "reversed")


class DiscardedPureCall(Detector):
    id = "VX142"
    name = "discarded-pure-call"
    action_type = "dead_code_elimination"
    severity = "medium"
    title = "result of a pure computation is thrown away"
    fix = "remove the call, or use its result (x.sort() sorts in place)"
    node_types = (ast.Expr,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.Expr)
        name = builtin_call(node.value, ctx, *_FUNCS)
        if not name:
            return
        call = node.value
        assert isinstance(call, ast.Call)
        for arg in call.args:
            if isinstance(arg, ast.GeneratorExp | ast.ListComp | ast.SetComp | ast.DictComp | ast.Call | ast.Starred):
                return  # drives a generator/map for side effects, or calls something
        if not call.args:
            return
        if any(isinstance(a, ast.Try | ast.TryStar | ast.With) for a in ctx.ancestors()):
            return
        fix = "use x.sort() to sort in place, or keep the result" if name == "sorted" else None
        ctx.report(self, node, title=f"result of {name}(...) is thrown away", fix=fix)
