"""VX111 index-in-loop: ``seq.index(x)`` searches the sequence from the start; once per
item of a loop it is O(n^2) (and wrong for repeated items when it recovers the position
of the loop's own item).

Fires inside loops when ``seq`` is the collection the enclosing loop walks, or a list the
function builds itself.

Bad::

    for item in items:
        pos = items.index(item)

Good::

    for pos, item in enumerate(items):
        ...
    # or, for lookups of other values: position = {v: i for i, v in enumerate(items)}
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors.base import Detector
from core.analysis.detectors.vx110_count_in_loop import scanned_sequence


class IndexInLoop(Detector):
    id = "VX111"
    name = "index-in-loop"
    action_type = "data_structure_optimization"
    severity = "medium"
    title = "sequence.index() inside a loop searches the sequence each time (O(n^2))"
    fix = "use enumerate() for the loop's own items, or a dict from value to position built once"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        name = scanned_sequence(node, ctx, "index")
        if name:
            ctx.report(self, node, title=f"{name}.index() inside a loop searches {name!r} each time")
