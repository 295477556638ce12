"""VX110 count-in-loop: ``seq.count(x)`` scans the whole sequence; called once per item of
a loop it makes counting O(n^2).

Fires inside loops when ``seq`` is the collection the enclosing loop walks, or a list the
function builds itself (not rebuilt on each iteration) queried with a value that changes
from one iteration to the next.

Bad::

    for word in words:
        freq[word] = words.count(word)

Good::

    from collections import Counter

    freq = Counter(words)
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import loop_iter
from core.analysis.detectors.base import Detector


def scanned_sequence(node: ast.AST, ctx: AnalysisContext, method: str) -> str | None:
    """The name of the sequence ``node`` calls ``method`` on, when the loop walks it or the
    function builds it as a list. Not inside an ``except TypeError`` handler: there the
    values may be unhashable, and neither a Counter nor a dict of positions can hold them."""
    if not ctx.in_loop or not isinstance(node, ast.Call) or len(node.args) != 1:
        return None
    if facts.in_type_error_handler(ctx):
        return None
    func = node.func
    if not (
        isinstance(func, ast.Attribute)
        and func.attr == method
        and isinstance(func.value, ast.Name)
    ):
        return None
    name = func.value.id
    walked = any(
        isinstance(loop_iter(lp), ast.Name) and loop_iter(lp).id == name  # type: ignore[union-attr]
        for lp in ctx.loops
    )
    if walked:
        return name
    if facts.is_local_list(name, ctx):
        loop = facts.loop_facts(ctx.loops[-1], ctx)
        # a list rebuilt on every iteration, or a query that does not change with the
        # loop, is not a quadratic count
        if name not in loop.stores and facts.names_in(node.args[0]) & loop.stores:
            return name
    return None


class CountInLoop(Detector):
    id = "VX110"
    name = "count-in-loop"
    action_type = "specialized_collections"
    severity = "high"
    title = "sequence.count() inside a loop rescans the sequence (O(n^2))"
    fix = "count everything in one pass with collections.Counter"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        name = scanned_sequence(node, ctx, "count")
        if name:
            ctx.report(self, node, title=f"{name}.count() inside a loop rescans {name!r} (O(n^2))")
