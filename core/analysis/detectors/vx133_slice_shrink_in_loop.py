"""VX133 slice-shrink-in-loop: ``s = s[1:]`` (or ``s = s[:-1]``) in a loop copies all the
remaining items on every iteration: O(n^2) for consuming a sequence.

Fires when the loop rebinds the name only there, so the shrinking sequence carries over
from one iteration to the next (a one-off trim of a fresh value, ``opt = opt[:-1]`` on
each item, does not count).

Bad::

    while data:
        handle(data[0])
        data = data[1:]

Good::

    for item in data:              # or keep an index: i += 1
        handle(item)
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import simple_assign
from core.analysis.detectors.base import Detector
from core.analysis.facts import const_int


class SliceShrinkInLoop(Detector):
    id = "VX133"
    name = "slice-shrink-in-loop"
    action_type = "copy_reduction"
    severity = "medium"
    title = "sequence consumed by re-slicing it inside a loop (copies the rest each time)"
    fix = "advance an index (or use collections.deque / an iterator) instead of slicing"
    node_types = (ast.Assign,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        found = simple_assign(node)
        if not ctx.in_loop or found is None:
            return
        name, value = found
        if not (
            isinstance(value, ast.Subscript)
            and isinstance(value.value, ast.Name)
            and value.value.id == name
            and isinstance(value.slice, ast.Slice)
            and value.slice.step is None
        ):
            return
        lower, upper = value.slice.lower, value.slice.upper
        front = lower is not None and upper is None and const_int(lower) not in (None, 0)
        back = lower is None and upper is not None and (const_int(upper) or 0) < 0
        if not ((front and (const_int(lower) or 0) > 0) or back):
            return
        if not facts.only_rebinding_in_loop(name, node.targets[0], ctx):
            return  # rebound from fresh data each iteration: a one-off trim, not consumption
        ctx.report(self, node, title=f"{name!r} consumed by re-slicing inside a loop")
