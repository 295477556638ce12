"""VX128 append-loop-to-comprehension: an empty list followed by a loop that only appends
to it (optionally under one ``if``) runs the append call in the interpreter per item;
a comprehension builds the list in a tighter loop.

Fires when the statement right before the loop is ``result = []`` and the loop body is
``result.append(expr)`` or ``if cond: result.append(expr)``, with ``expr`` not reading
``result``.

Bad::

    squares = []
    for x in values:
        if x > 0:
            squares.append(x * x)

Good::

    squares = [x * x for x in values if x > 0]
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import assigned_just_before, method_call
from core.analysis.detectors.base import Detector


def appended(stmt: ast.stmt) -> tuple[str, ast.expr] | None:
    """``(list name, value)`` when ``stmt`` is ``name.append(value)``."""
    if isinstance(stmt, ast.Expr):
        found = method_call(stmt.value, "append")
        if found and isinstance(found[0], ast.Name) and len(stmt.value.args) == 1:  # type: ignore[attr-defined]
            arg = stmt.value.args[0]  # type: ignore[attr-defined]
            if not isinstance(arg, ast.Starred) and not stmt.value.keywords:  # type: ignore[attr-defined]
                return found[0].id, arg
    return None


def fresh_list_before(ctx: AnalysisContext, node: ast.stmt, name: str) -> bool:
    """The statement right before ``node`` is ``name = []``."""
    value = assigned_just_before(ctx, node, name)
    return isinstance(value, ast.List) and not value.elts


class AppendLoopToComprehension(Detector):
    id = "VX128"
    name = "append-loop-to-comprehension"
    action_type = "comprehension_conversion"
    severity = "low"
    title = "list built by appending in a loop"
    fix = "build it with a list comprehension"
    node_types = (ast.For,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.For)
        if node.orelse or len(node.body) != 1:
            return
        stmt = node.body[0]
        if isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1:
            stmt = stmt.body[0]
        found = appended(stmt)
        if not found:
            return
        name, value = found
        if name in facts.names_in(value) or name in facts.names_in(node.iter):
            return
        if isinstance(node.body[0], ast.If) and name in facts.names_in(node.body[0].test):
            return
        if fresh_list_before(ctx, node, name):
            ctx.report(self, node, title=f"list {name!r} built by appending in a loop")
