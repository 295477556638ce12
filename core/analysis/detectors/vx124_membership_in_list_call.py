"""VX124 membership-in-list-call: ``x in list(d.keys())`` (or ``tuple(...)``/``sorted(...)``
of a dict view) copies the keys into a list just to scan it: O(n) plus a copy where the
dict answers in O(1).

Only dict views (``.keys()``, ``.values()``, ``.items()``) count: for them the direct
test means the same thing. ``x in list(obj)`` in general does not (strings test
substrings, objects may define or block ``__contains__``), so it is left alone.

Bad::

    if key in list(config.keys()):
        ...

Good::

    if key in config:              # or: value in config.values() (no copy)
        ...
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call, method_call
from core.analysis.detectors.base import Detector


class MembershipInListCall(Detector):
    id = "VX124"
    name = "membership-in-list-call"
    action_type = "data_structure_optimization"
    severity = "medium"
    title = "membership tested on a list copy of a dict view"
    fix = "test membership on the dict (or the view) itself: x in d, x in d.values()"
    node_types = (ast.Compare,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.Compare)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if not isinstance(op, ast.In | ast.NotIn):
                continue
            name = builtin_call(comparator, ctx, "list", "tuple", "sorted")
            if not name or len(comparator.args) != 1 or comparator.keywords:  # type: ignore[attr-defined]
                continue
            view = comparator.args[0]  # type: ignore[attr-defined]
            found = method_call(view, "keys", "values", "items")
            if found and not view.args and not view.keywords:  # type: ignore[attr-defined]
                ctx.report(self, node, title=f"membership tested on {name}(...{found[1]}()) built for the test")
                return
