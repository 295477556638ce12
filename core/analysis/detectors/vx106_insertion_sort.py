"""VX106 insertion-sort: a hand-written insertion sort shifts items one place at a time in
a ``while`` loop nested in a ``for`` loop: O(n^2) moves.

Fires on a ``while`` loop inside another loop whose test orders an item of a sequence and
whose body shifts items of that same sequence (``a[j + 1] = a[j]`` or a swap) while
stepping an index down or up by one.

Bad::

    for i in range(1, len(a)):
        key = a[i]
        j = i - 1
        while j >= 0 and a[j] > key:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = key

Good::

    a.sort()            # or bisect.insort() when items arrive one by one
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import shape, swaps_in
from core.analysis.detectors.base import Detector

_ORDER = (ast.Lt, ast.Gt, ast.LtE, ast.GtE)


class InsertionSort(Detector):
    id = "VX106"
    name = "insertion-sort"
    action_type = "algorithm_change"
    severity = "high"
    title = "O(n^2) insertion sort algorithm"
    fix = "replace with the built-in list.sort() or sorted(), or bisect.insort for incremental inserts"
    node_types = (ast.While,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.While)
        if not any(not lp.is_comprehension for lp in ctx.loops):
            return
        seqs = _ordered_sequences(node.test)
        if not seqs:
            return
        stepped = _stepped_names(node.body)
        if not stepped:
            return
        for stmt in node.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Subscript)
                and isinstance(stmt.value, ast.Subscript)
                and shape(stmt.targets[0].value) == shape(stmt.value.value)
                and shape(stmt.value.value) in seqs
                and _uses(stmt, stepped)
            ):
                ctx.report(self, node)
                return
        for a, _b in swaps_in(node.body):
            if shape(a.value) in seqs:
                ctx.report(self, node)
                return


def _ordered_sequences(test: ast.expr) -> set[str]:
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    seqs: set[str] = set()
    for part in parts:
        if isinstance(part, ast.Compare) and len(part.ops) == 1 and isinstance(part.ops[0], _ORDER):
            for side in (part.left, part.comparators[0]):
                if isinstance(side, ast.Subscript):
                    seqs.add(shape(side.value))
    return seqs


def _stepped_names(body: list[ast.stmt]) -> set[str]:
    names = set()
    for stmt in body:
        if (
            isinstance(stmt, ast.AugAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(stmt.op, ast.Add | ast.Sub)
            and isinstance(stmt.value, ast.Constant)
            and stmt.value.value == 1
        ):
            names.add(stmt.target.id)
    return names


def _uses(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))
