"""VX129 manual-counting: counting with ``if k in d: d[k] += 1 else: d[k] = 1`` or
``d[k] = d.get(k, 0) + 1`` does two dict operations and interpreted branching per item.

Bad::

    counts = {}
    for word in words:
        if word in counts:
            counts[word] += 1
        else:
            counts[word] = 1

Good::

    from collections import Counter

    counts = Counter(words)
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import method_call, same
from core.analysis.detectors.base import Detector
from core.analysis.facts import const_int


def membership(test: ast.expr) -> tuple[ast.expr, ast.expr, bool] | None:
    """``(key, container, positive)`` for ``key in container`` / ``key not in container``."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op = test.ops[0]
        if isinstance(op, ast.In | ast.NotIn):
            return test.left, test.comparators[0], isinstance(op, ast.In)
    return None


def item_of(node: ast.AST, container: ast.expr, key: ast.expr) -> bool:
    return isinstance(node, ast.Subscript) and same(node.value, container) and same(node.slice, key)


def _is_increment(stmt: ast.stmt, container: ast.expr, key: ast.expr) -> bool:
    return (
        isinstance(stmt, ast.AugAssign)
        and isinstance(stmt.op, ast.Add)
        and item_of(stmt.target, container, key)
        and const_int(stmt.value) == 1
    )


def _is_set(stmt: ast.stmt, container: ast.expr, key: ast.expr, value: int) -> bool:
    return (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and item_of(stmt.targets[0], container, key)
        and const_int(stmt.value) == value
    )


class ManualCounting(Detector):
    id = "VX129"
    name = "manual-counting"
    action_type = "specialized_collections"
    severity = "low"
    title = "items counted by hand in a dict"
    fix = "use collections.Counter (or defaultdict(int))"
    node_types = (ast.If, ast.Assign)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop:
            return
        if isinstance(node, ast.Assign):
            # d[k] = d.get(k, 0) + 1
            if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Subscript):
                return
            target, value = node.targets[0], node.value
            if not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add)):
                return
            if const_int(value.right) != 1:
                return
            found = method_call(value.left, "get")
            call = value.left
            if (
                found
                and same(found[0], target.value)
                and len(call.args) == 2  # type: ignore[attr-defined]
                and same(call.args[0], target.slice)  # type: ignore[attr-defined]
                and const_int(call.args[1]) == 0  # type: ignore[attr-defined]
            ):
                ctx.report(self, node)
            return
        assert isinstance(node, ast.If)
        test = membership(node.test)
        if test is None or len(node.body) != 1:
            return
        key, container, positive = test
        if positive:
            # if k in d: d[k] += 1 / else: d[k] = 1
            if (
                _is_increment(node.body[0], container, key)
                and len(node.orelse) == 1
                and _is_set(node.orelse[0], container, key, 1)
            ):
                ctx.report(self, node)
        else:
            # if k not in d: d[k] = 1 / else: d[k] += 1
            if (
                _is_set(node.body[0], container, key, 1)
                and len(node.orelse) == 1
                and _is_increment(node.orelse[0], container, key)
            ):
                ctx.report(self, node)
