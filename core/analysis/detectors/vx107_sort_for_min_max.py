"""VX107 sort-for-min-max: sorting a whole sequence to take its first or last item (or the
first few) costs O(n log n) where O(n) (or O(n log k)) does.

Fires on ``sorted(...)[0]``, ``sorted(...)[-1]`` and ``sorted(...)[:k]`` / ``[-k:]``.

Bad::

    cheapest = sorted(prices)[0]
    top3 = sorted(scores, reverse=True)[:3]

Good::

    cheapest = min(prices)
    top3 = heapq.nlargest(3, scores)
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call
from core.analysis.detectors.base import Detector
from core.analysis.facts import const_int


class SortForMinMax(Detector):
    id = "VX107"
    name = "sort-for-min-max"
    action_type = "sorting_optimization"
    severity = "medium"
    title = "whole sequence sorted to take its smallest/largest item"
    fix = "use min()/max() (O(n)) or heapq.nsmallest/nlargest for the top k"
    node_types = (ast.Subscript,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.Subscript)
        if not isinstance(node.ctx, ast.Load) or not builtin_call(node.value, ctx, "sorted"):
            return
        call = node.value
        assert isinstance(call, ast.Call)
        if len(call.args) != 1:
            return
        reverse = any(
            k.arg == "reverse" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in call.keywords
        )
        index = const_int(node.slice)
        if index in (0, -1):
            first = (index == 0) != reverse
            func = "min" if first else "max"
            ctx.report(
                self,
                node,
                title=f"sequence sorted to take its {'smallest' if first else 'largest'} item",
                fix=f"use {func}(...) with the same key: O(n) instead of O(n log n)",
            )
        elif isinstance(node.slice, ast.Slice) and node.slice.step is None:
            lower, upper = node.slice.lower, node.slice.upper
            if lower is None and upper is not None:
                which = "nlargest" if reverse else "nsmallest"
            elif upper is None and lower is not None and (const_int(lower) or 0) < 0:
                which = "nsmallest" if reverse else "nlargest"
            else:
                return
            ctx.report(
                self,
                node,
                severity="low",
                title="whole sequence sorted to take its top k items",
                fix=f"use heapq.{which}(k, ...) (O(n log k)) when k is small",
            )
