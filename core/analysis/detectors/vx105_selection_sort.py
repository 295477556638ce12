"""VX105 selection-sort: a hand-written selection sort scans the rest of the sequence for
the smallest (largest) item on every outer iteration: O(n^2) comparisons.

Fires on an outer loop whose body holds an inner loop that remembers the index of the
best item so far (``if a[j] < a[m]: m = j``) and, after it, swaps ``a[i]`` with ``a[m]``.

Bad::

    for i in range(len(a)):
        m = i
        for j in range(i + 1, len(a)):
            if a[j] < a[m]:
                m = j
        a[i], a[m] = a[m], a[i]

Good::

    a.sort()
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import shape, swaps_in
from core.analysis.detectors.base import Detector


class SelectionSort(Detector):
    id = "VX105"
    name = "selection-sort"
    action_type = "algorithm_change"
    severity = "high"
    title = "O(n^2) selection sort algorithm"
    fix = "replace with the built-in list.sort() or sorted() (O(n log n))"
    node_types = (ast.For, ast.While)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.For | ast.While)
        for k, stmt in enumerate(node.body):
            if not isinstance(stmt, ast.For):
                continue
            best = _best_index_tracking(stmt)
            if best is None:
                continue
            seq, index_name = best
            after = node.body[k + 1 :]
            candidates = list(after)
            for s in after:
                if isinstance(s, ast.If):
                    candidates.extend(s.body)
            for a, b in swaps_in(candidates):
                names = {shape(a.value), shape(b.value)}
                slices = [a.slice, b.slice]
                if names == {shape(seq)} and any(
                    isinstance(s, ast.Name) and s.id == index_name for s in slices
                ):
                    ctx.report(self, node, end=stmt)
                    return


def _best_index_tracking(inner: ast.For) -> tuple[ast.expr, str] | None:
    """``(sequence, m)`` when ``inner`` holds ``if seq[j] <op> seq[m]: m = j``."""
    if not isinstance(inner.target, ast.Name):
        return None
    j = inner.target.id
    for stmt in inner.body:
        if not (isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare)):
            continue
        test = stmt.test
        if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Lt | ast.Gt | ast.LtE | ast.GtE):
            continue
        left, right = test.left, test.comparators[0]
        if not (isinstance(left, ast.Subscript) and isinstance(right, ast.Subscript)):
            continue
        if shape(left.value) != shape(right.value):
            continue
        for body_stmt in stmt.body:
            if (
                isinstance(body_stmt, ast.Assign)
                and len(body_stmt.targets) == 1
                and isinstance(body_stmt.targets[0], ast.Name)
                and isinstance(body_stmt.value, ast.Name)
                and body_stmt.value.id == j
            ):
                m = body_stmt.targets[0].id
                slice_names = {getattr(left.slice, "id", None), getattr(right.slice, "id", None)}
                if slice_names == {j, m}:
                    return left.value, m
    return None
