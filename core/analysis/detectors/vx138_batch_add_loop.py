"""VX138 batch-add-loop: a loop that only copies each item into an existing collection
(``out.append(x)``, ``seen.add(x)``, ``d[k] = v`` over another dict's items) makes one
interpreted call per item where one batched call does the same in C.

Fires when the loop body is that single statement adding the loop variable unchanged.
A fresh ``[]`` just before the loop is VX128's case.

Bad::

    for item in new_items:
        items.append(item)
    for key, value in defaults.items():
        settings[key] = value

Good::

    items.extend(new_items)
    settings.update(defaults)
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import method_call, same
from core.analysis.detectors.base import Detector
from core.analysis.detectors.vx128_append_loop_to_comprehension import fresh_list_before


class BatchAddLoop(Detector):
    id = "VX138"
    name = "batch-add-loop"
    action_type = "batch_operations"
    severity = "low"
    title = "items copied one by one into a collection"
    fix = "use one batched call: extend() / update()"
    node_types = (ast.For,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.For)
        if node.orelse or len(node.body) != 1 or not isinstance(node.body[0], ast.Expr | ast.Assign):
            return
        stmt = node.body[0]
        target = node.target
        if isinstance(stmt, ast.Expr):
            found = method_call(stmt.value, "append", "add")
            if not found or not isinstance(target, ast.Name):
                return
            receiver, method = found
            call = stmt.value
            if not (
                isinstance(receiver, ast.Name | ast.Attribute)
                and len(call.args) == 1  # type: ignore[attr-defined]
                and same(call.args[0], target)  # type: ignore[attr-defined]
                and not call.keywords  # type: ignore[attr-defined]
                and not same(receiver, node.iter)
            ):
                return
            if isinstance(receiver, ast.Name) and method == "append" and fresh_list_before(ctx, node, receiver.id):
                return
            batched = "extend" if method == "append" else "update"
            ctx.report(self, node, title=f"items {method}ed one by one in a loop", fix=f"use one {batched}() call with the iterable")
            return
        # for k, v in src.items(): dst[k] = v
        if not (
            isinstance(target, ast.Tuple)
            and len(target.elts) == 2
            and all(isinstance(e, ast.Name) for e in target.elts)
            and len(stmt.targets) == 1  # type: ignore[union-attr]
        ):
            return
        dst = stmt.targets[0]  # type: ignore[union-attr]
        found = method_call(node.iter, "items")
        if (
            found
            and not node.iter.args  # type: ignore[attr-defined]
            and isinstance(dst, ast.Subscript)
            and same(dst.slice, target.elts[0])
            and same(stmt.value, target.elts[1])
            and not same(dst.value, found[0])
        ):
            ctx.report(self, node, title="dict items copied one by one in a loop", fix="use one dict.update() call")
