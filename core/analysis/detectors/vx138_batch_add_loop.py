"""VX138 batch-add-loop: a loop that only copies each item into an existing collection
(``out.append(x)``, ``seen.add(x)``, ``d[k] = v`` over another dict's items) makes one
interpreted call per item where one batched call does the same in C.

Fires when the loop body is that single statement adding the loop variable unchanged to
a list/set/dict the function creates itself (another object's ``append`` may be all it
offers, or be the very ``extend`` being written). A fresh ``[]`` just before the loop is
VX128's case.

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

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call, method_call, same
from core.analysis.detectors.base import Detector
from core.analysis.detectors.vx128_append_loop_to_comprehension import fresh_list_before

_COLLECTION_CALLS = frozenset({"list", "set", "dict", "sorted"})


def _local_collection(name: str, ctx: AnalysisContext) -> bool:
    """``name`` is bound in this function only to a list/set/dict it creates."""
    bindings = facts.scope_facts(ctx.scope).bindings.get(name)
    if not bindings or ctx.scope.kind != "function":
        return False
    for b in bindings:
        value = b.value
        if b.kind != "assign":
            return False
        if isinstance(value, ast.List | ast.Set | ast.Dict | ast.ListComp | ast.SetComp | ast.DictComp):
            continue
        if builtin_call(value, ctx, *_COLLECTION_CALLS):  # type: ignore[arg-type]
            continue
        return False
    return True


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
            if not (isinstance(receiver, ast.Name) and _local_collection(receiver.id, ctx)):
                return  # an arbitrary object's append() may be all it has (or be extend itself)
            if method == "append" and fresh_list_before(ctx, node, receiver.id):
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
            and isinstance(dst.value, ast.Name)
            and _local_collection(dst.value.id, ctx)
        ):
            ctx.report(self, node, title="dict items copied one by one in a loop", fix="use one dict.update() call")
