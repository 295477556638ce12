"""VX142 discarded-pure-call: ``sorted(x)`` as a statement sorts a copy and throws it away:
O(n log n) for nothing, and usually a bug (``x.sort()`` was meant).

Only ``sorted`` is reported: ``list(it)``, ``sum(...)`` or ``abs(obj)`` as statements
are used on purpose to exhaust an iterator or to call a dunder method. Calls inside a
``try``/``with`` block or in a ``test*`` function (checking that something raises, or
does not) and calls that drive a generator for its side effects are not reported either.

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

# Only sorted(): list()/sum()/abs()... as statements are used on purpose to exhaust an
# iterator or to call a dunder method (tests do both).
_FUNCS = ("sorted",)


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
        func = ctx.function_node
        if func is not None and func.name.startswith("test"):  # type: ignore[attr-defined]
            return  # a test calling sorted() to check that it does not raise
        fix = "use x.sort() to sort in place, or keep the result" if name == "sorted" else None
        ctx.report(self, node, title=f"result of {name}(...) is thrown away", fix=fix)
