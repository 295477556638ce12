"""VX134 redundant-pure-call: the same ``sum(x)``/``max(x)``/``min(x)`` call appears twice
in one statement (or in an ``if`` test and the first statement of its body), scanning the
same data twice for the same value.

Fires only when the statement calls nothing but pure builtins and non-mutating methods,
so the argument cannot change between the two calls.

Bad::

    if max(scores) > threshold:
        best = max(scores)

Good::

    top = max(scores)
    if top > threshold:
        best = top
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call, shape
from core.analysis.detectors.base import Detector

# Constructors (list, set, sorted...) are left out: two copies are often wanted.
_FUNCS = ("sum", "max", "min")


class RedundantPureCall(Detector):
    id = "VX134"
    name = "redundant-pure-call"
    action_type = "redundant_computation_elimination"
    severity = "low"
    title = "the same O(n) builtin call is computed twice"
    fix = "compute it once into a local and reuse it"
    node_types = (ast.Call,)
    has_finish = True

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        name = builtin_call(node, ctx, *_FUNCS)
        if not name:
            return
        assert isinstance(node, ast.Call)
        if len(node.args) != 1 or node.keywords:
            return
        arg = node.args[0]
        if not isinstance(arg, ast.Name | ast.Attribute):
            return
        unit = _unit(ctx)
        if unit is None:
            return
        key = (id(unit), shape(node))
        seen = ctx.state.setdefault(self.id, {})
        entry = seen.get(key)
        if entry is None:
            seen[key] = [unit, node, None, ctx.scope.function_name]
        elif entry[2] is None:
            entry[2] = node

    def finish(self, ctx: AnalysisContext) -> None:
        for unit, first, second, function in ctx.state.get(self.id, {}).values():
            if second is None or not _side_effect_free(unit, ctx):
                continue
            ctx.report(self, first, end=second, function=function)


def _unit(ctx: AnalysisContext) -> ast.AST | None:
    """The statement the call belongs to; for the first statement of an ``if`` body, the
    ``if`` itself (its test and that statement form one unit)."""
    stack = ctx.stack
    for i in range(len(stack) - 1, -1, -1):
        node = stack[i]
        if isinstance(node, ast.stmt):
            if isinstance(node, ast.If | ast.While) and stack[i + 1] is not node.test:
                return None  # in a nested body: handled by the inner statement
            parent = stack[i - 1] if i else None
            if isinstance(parent, ast.If) and parent.body and parent.body[0] is node:
                return parent
            if isinstance(node, ast.For | ast.With | ast.Try | ast.FunctionDef | ast.ClassDef):
                return None
            return node
    return None


def _side_effect_free(unit: ast.AST, ctx: AnalysisContext) -> bool:
    parts = [unit.test, unit.body[0]] if isinstance(unit, ast.If) else [unit]  # type: ignore[attr-defined]
    for part in parts:
        for sub in ast.walk(part):
            if isinstance(sub, ast.Call) and not facts.is_pure_call(sub, ctx):
                return False
            if isinstance(sub, ast.NamedExpr | ast.Yield | ast.YieldFrom | ast.Await):
                return False
            if isinstance(sub, ast.AugAssign | ast.Assign) and sub is not part:
                return False
    if isinstance(unit, ast.If) and isinstance(unit.body[0], ast.Assign | ast.AugAssign):
        # the body's own assignment must not rebind what the calls read
        body = unit.body[0]
        stored = {
            n.id
            for t in (body.targets if isinstance(body, ast.Assign) else [body.target])
            for n in ast.walk(t)
            if isinstance(n, ast.Name)
        }
        if stored & facts.names_in(unit.test):
            return False
    return True
