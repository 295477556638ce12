"""VX130 manual-grouping: ``if k not in d: d[k] = []`` followed by ``d[k].append(v)``
(or the ``if/else`` variant) groups items with an extra lookup and branch per item.

Bad::

    groups = {}
    for user in users:
        if user.team not in groups:
            groups[user.team] = []
        groups[user.team].append(user)

Good::

    from collections import defaultdict

    groups = defaultdict(list)
    for user in users:
        groups[user.team].append(user)
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import block_position, method_call
from core.analysis.detectors.base import Detector
from core.analysis.detectors.vx129_manual_counting import item_of, membership


def _new_list(stmt: ast.stmt, container: ast.expr, key: ast.expr) -> bool:
    return (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and item_of(stmt.targets[0], container, key)
        and isinstance(stmt.value, ast.List)
    )


def _append_to_item(stmt: ast.stmt, container: ast.expr, key: ast.expr) -> bool:
    if not isinstance(stmt, ast.Expr):
        return False
    found = method_call(stmt.value, "append")
    return bool(found) and item_of(found[0], container, key)  # type: ignore[index]


class ManualGrouping(Detector):
    id = "VX130"
    name = "manual-grouping"
    action_type = "specialized_collections"
    severity = "low"
    title = "items grouped by hand: an existence check before every append"
    fix = "use collections.defaultdict(list)"
    node_types = (ast.If,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.If)
        if not ctx.in_loop:
            return
        test = membership(node.test)
        if test is None or len(node.body) != 1:
            return
        key, container, positive = test
        if not positive and not node.orelse and _new_list(node.body[0], container, key):
            position = block_position(ctx, node)
            if position is None:
                return
            block, i = position
            if i + 1 < len(block) and _append_to_item(block[i + 1], container, key):
                ctx.report(self, node, end=block[i + 1])
        elif (
            positive
            and len(node.orelse) == 1
            and _append_to_item(node.body[0], container, key)
            and _new_list(node.orelse[0], container, key)
        ):
            ctx.report(self, node)
