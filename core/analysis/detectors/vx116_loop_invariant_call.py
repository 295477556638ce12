"""VX116 loop-invariant-call: ``sum()``, ``min()``, ``max()``, ``any()``, ``all()`` over
a collection that does not change in the loop, or ``set()``/``list()``/``tuple()``/
``frozenset()`` built from it for a membership test, recompute the same O(n) result on
every iteration.

Fires when the call's argument is loop-invariant (local names the loop neither rebinds
nor may mutate; only pure builtins called). ``max(a, b)`` on scalars is not a scan and
does not count.

Bad::

    for x in values:
        if x > max(values) / 2:          # O(n) per iteration
            keep.append(x)
        if x in set(banned):             # builds a set per iteration
            ...

Good::

    limit = max(values) / 2
    banned_set = set(banned)
    for x in values:
        if x > limit:
            keep.append(x)
        if x in banned_set:
            ...
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call
from core.analysis.detectors.base import Detector

_SCANS = ("sum", "min", "max", "any", "all")
_BUILDS = ("set", "frozenset", "list", "tuple")


class LoopInvariantCall(Detector):
    id = "VX116"
    name = "loop-invariant-call"
    action_type = "loop_invariant_hoisting"
    severity = "medium"
    title = "the same O(n) result is recomputed on every loop iteration"
    fix = "compute it once before the loop and reuse the local"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop:
            return
        name = builtin_call(node, ctx, *_SCANS, *_BUILDS)
        if name is None:
            return
        assert isinstance(node, ast.Call)
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            return
        arg = node.args[0]
        if not isinstance(arg, ast.Name | ast.Attribute | ast.Subscript | ast.Call):
            return  # displays and comprehensions are not "a collection that does not change"
        if name in _BUILDS:
            parent = ctx.parent
            if not (
                isinstance(parent, ast.Compare)
                and any(c is node for c in parent.comparators)
                and all(isinstance(op, ast.In | ast.NotIn) for op in parent.ops)
            ):
                return
        if facts.is_loop_invariant(node, ctx.loops[-1], ctx):
            ctx.report(self, node, title=f"{name}() of an unchanging collection recomputed on every iteration")
