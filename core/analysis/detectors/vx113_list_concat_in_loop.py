"""VX113 list-concat-in-loop: ``x = x + [item]`` (or ``x = [item] + x``) builds a new list
on every iteration, copying all items so far: O(n^2).

Fires inside loops when one side of the ``+`` is the target itself and the other a list
or tuple display or comprehension, or the target is a list this function builds, and the
loop rebinds the target only there (so it grows across iterations).

Bad::

    result = []
    for item in items:
        result = result + [transform(item)]

Good::

    result = []
    for item in items:
        result.append(transform(item))        # amortised O(1); extend() for several items
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import simple_assign
from core.analysis.detectors.base import Detector

_DISPLAYS = (ast.List, ast.Tuple, ast.ListComp)


class ListConcatInLoop(Detector):
    id = "VX113"
    name = "list-concat-in-loop"
    action_type = "copy_reduction"
    severity = "high"
    title = "list rebuilt with x = x + [...] inside a loop (copies every item each time)"
    fix = "append()/extend() in place (or collections.deque.appendleft for prepends)"
    node_types = (ast.Assign,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        found = simple_assign(node)
        if not ctx.in_loop or found is None:
            return
        name, value = found
        if not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add)):
            return
        left_self = isinstance(value.left, ast.Name) and value.left.id == name
        right_self = isinstance(value.right, ast.Name) and value.right.id == name
        if not (left_self or right_self):
            return
        if not facts.only_rebinding_in_loop(name, node.targets[0], ctx):  # type: ignore[attr-defined]
            return  # rebound from fresh data on each iteration: one concatenation per item
        other = value.right if left_self else value.left
        if isinstance(other, _DISPLAYS) or facts.is_local_list(name, ctx):
            if isinstance(other, ast.Tuple) and facts.is_local_str(name, ctx):
                return
            ctx.report(self, node, title=f"{name!r} rebuilt with + inside a loop (copies every item)")
