"""VX124 membership-in-list-call: ``x in list(d.keys())``, ``x in list(s)``,
``x in sorted(s)`` build a new list (or sort) just to scan it: O(n) where the container
itself answers in O(1) (dict, set) or at least without the copy.

Bad::

    if key in list(config.keys()):
        ...

Good::

    if key in config:
        ...
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call
from core.analysis.detectors.base import Detector


class MembershipInListCall(Detector):
    id = "VX124"
    name = "membership-in-list-call"
    action_type = "data_structure_optimization"
    severity = "medium"
    title = "membership tested on a freshly built list/tuple copy"
    fix = "test membership on the container itself (x in d, x in s)"
    node_types = (ast.Compare,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.Compare)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if not isinstance(op, ast.In | ast.NotIn):
                continue
            name = builtin_call(comparator, ctx, "list", "tuple", "sorted")
            if name and len(comparator.args) == 1 and not comparator.keywords:  # type: ignore[attr-defined]
                ctx.report(self, node, title=f"membership tested on {name}(...) built for the test")
                return
