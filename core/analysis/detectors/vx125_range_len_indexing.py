"""VX125 range-len-indexing: ``for i in range(len(xs))`` where ``i`` is only ever used as
``xs[i]`` pays an index lookup per item for nothing.

Fires only when every use of ``i`` in the body is a read of ``xs[i]`` (no writes to
``xs[i]``, no arithmetic on ``i``, ``xs`` not rebound).

Bad::

    for i in range(len(names)):
        print(names[i].upper())

Good::

    for name in names:
        print(name.upper())
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call, parents_of, same
from core.analysis.detectors.base import Detector


class RangeLenIndexing(Detector):
    id = "VX125"
    name = "range-len-indexing"
    action_type = "loop_optimization"
    severity = "low"
    title = "loop over range(len(x)) that only reads x[i]"
    fix = "iterate over the items directly (for item in x), or enumerate() when the index is needed"
    node_types = (ast.For,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.For)
        if not isinstance(node.target, ast.Name) or node.orelse:
            return
        it = node.iter
        if not (builtin_call(it, ctx, "range") and len(it.args) == 1):  # type: ignore[attr-defined]
            return
        inner = it.args[0]  # type: ignore[attr-defined]
        if not (builtin_call(inner, ctx, "len") and len(inner.args) == 1):
            return
        seq = inner.args[0]
        if not isinstance(seq, ast.Name | ast.Attribute):
            return
        index = node.target.id
        uses = 0
        for stmt in node.body:
            parents = parents_of(stmt)
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Name) and sub.id == index:
                    parent = parents.get(id(sub))
                    if not (
                        isinstance(parent, ast.Subscript)
                        and parent.slice is sub
                        and isinstance(parent.ctx, ast.Load)
                        and same(parent.value, seq)
                        and isinstance(sub.ctx, ast.Load)
                    ):
                        return
                    uses += 1
                elif isinstance(sub, ast.Name | ast.Attribute) and not isinstance(sub.ctx, ast.Load):
                    if same(_load(sub), seq) or (
                        isinstance(seq, ast.Attribute) and isinstance(sub, ast.Name)
                        and sub.id == _root(seq)
                    ):
                        return
                elif isinstance(sub, ast.Subscript) and not isinstance(sub.ctx, ast.Load) and same(sub.value, seq):
                    return
        if uses:
            ctx.report(self, node, end=node.iter, title=f"loop over range(len(...)) that only reads items by index {index!r}")


def _load(node: ast.AST) -> ast.AST:
    if isinstance(node, ast.Name):
        return ast.Name(id=node.id, ctx=ast.Load())
    if isinstance(node, ast.Attribute):
        return ast.Attribute(value=node.value, attr=node.attr, ctx=ast.Load())
    return node


def _root(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
