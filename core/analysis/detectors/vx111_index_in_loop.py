"""VX111 index-in-loop: ``seq.index(x)`` searches the sequence from the start; once per
item of a loop it is O(n^2) (and wrong for repeated items when it recovers the position
of the loop's own item).

Fires inside loops when ``seq`` is the collection the enclosing loop walks, or a list the
function builds itself. Not when the same loop mutates ``seq`` (``del seq[i]``,
``seq.pop(...)``: the first position is wanted in a list that changes, and a dict of
positions built once would be stale), not on evident strings (``str.index`` is a
substring search: a literal, a ``str``-annotated parameter, a str method's result), and
not inside an ``except TypeError`` handler (values that may be unhashable).

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

from core.analysis import facts
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
        if not name or facts.is_evident_str(name, ctx):
            return
        if name in facts.loop_facts(ctx.loops[-1], ctx).mutated:
            return  # the list changes every iteration: positions cannot be computed once
        ctx.report(self, node, title=f"{name}.index() inside a loop searches {name!r} each time")
