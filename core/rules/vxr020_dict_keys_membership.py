"""VXR020 - test membership on the mapping, not on a copy of its keys.

``k in list(d.keys())`` copies every key into a list and scans it: O(n) time and memory
for what ``k in d`` answers with one hash lookup. ``k in d.keys()`` is O(1) already but
builds a view object for nothing.

Rewrites ``k in d.keys()``, ``k in list(d.keys())``, ``k in tuple(d.keys())`` (and the
``not in`` forms) to ``k in d``. Calling ``.keys()`` is what makes ``d`` a mapping, whose
``in`` tests keys. ``d`` must be a name or an attribute/subscript chain (evaluated once
either way).

Bad::

    def known(stock: dict[str, int], skus: list[str]) -> list[str]:
        return [s for s in skus if s in list(stock.keys())]

Good::

    def known(stock: dict[str, int], skus: list[str]) -> list[str]:
        return [s for s in skus if s in stock]
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


class DictKeysMembership(Rule):
    id = "VXR020"
    name = "dict_keys_membership"
    action_type = "data_structure_optimization"
    detector_ids = ("VX124",)
    description = "Test membership on the dict itself instead of a copy of its keys."
    reasoning = (
        "list(d.keys()) copies every key and `in` then scans them linearly; `k in d` is a "
        "single hash lookup."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        for node in u.walk(unit.node):
            if not isinstance(node, cst.ComparisonTarget) or not isinstance(
                node.operator, cst.In | cst.NotIn
            ):
                continue
            mapping = _keys_of(ctx, node.comparator)
            if mapping is not None:
                edits[node.comparator] = u.replace_with(mapping)
        return u.finish(
            unit.node,
            edits,
            "test membership on the mapping instead of a copy of its keys",
        )


def _keys_of(ctx: ModuleContext, e: cst.BaseExpression) -> cst.BaseExpression | None:
    if (
        isinstance(e, cst.Call)
        and u.called_name(e) in ("list", "tuple")
        and u.builtin_available(ctx, u.called_name(e) or "")
        and len(e.args) == 1
        and not e.args[0].keyword
        and not e.args[0].star
    ):
        inner = _keys_call(e.args[0].value)
        return inner
    return _keys_call(e)


def _keys_call(e: cst.BaseExpression) -> cst.BaseExpression | None:
    mc = u.method_call(e)
    if mc is None or mc[1] != "keys" or e.args:  # type: ignore[attr-defined]
        return None
    obj = mc[0]
    node = obj
    while isinstance(node, cst.Attribute | cst.Subscript):
        if isinstance(node, cst.Subscript) and any(
            isinstance(n, cst.Call) for n in u.walk(node.slice[0])
        ):
            return None
        node = node.value
    return obj if isinstance(node, cst.Name) else None
