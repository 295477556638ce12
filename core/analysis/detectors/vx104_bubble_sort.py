"""VX104 bubble-sort: a hand-written exchange sort (bubble sort and its variants) compares
and swaps items inside two nested loops: O(n^2) comparisons.

Fires on an ``if`` inside two nested loops that orders two items of one sequence and
swaps exactly those two items (``a[j], a[j + 1] = a[j + 1], a[j]`` or via a temporary),
and goes on looping after the swap. A swap followed by ``break``/``return``/``raise`` is
done once, after a search (the step of a next-permutation algorithm), not a sorting pass.

Bad::

    for i in range(len(a)):
        for j in range(len(a) - i - 1):
            if a[j] > a[j + 1]:
                a[j], a[j + 1] = a[j + 1], a[j]

Good::

    a.sort()            # Timsort: O(n log n), in C
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import compares_items, swaps_in
from core.analysis.detectors.base import Detector


class BubbleSort(Detector):
    id = "VX104"
    name = "bubble-sort"
    action_type = "algorithm_change"
    severity = "high"
    title = "O(n^2) bubble sort algorithm"
    fix = "replace with the built-in list.sort() or sorted() (O(n log n))"
    node_types = (ast.If,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.If)
        statement_loops = [lp for lp in ctx.loops if not lp.is_comprehension]
        if len(statement_loops) < 2:
            return
        if any(isinstance(stmt, _LEAVES_LOOP) for stmt in node.body):
            return  # one swap, then out of the loop: a search-and-swap step, not a pass
        for a, b in swaps_in(node.body):
            if compares_items(node.test, a, b):
                ctx.report(self, node)
                return


_LEAVES_LOOP = (ast.Break, ast.Return, ast.Raise)
