"""VX122 readlines-iteration: ``for line in f.readlines()`` reads the whole file into a
list before the first iteration.

Fires when ``readlines()`` (no size hint) is the iterable of a ``for`` loop or of a
comprehension.

Bad::

    with open(path) as f:
        for line in f.readlines():
            handle(line)

Good::

    with open(path) as f:
        for line in f:                 # streams one line at a time
            handle(line)
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import method_call
from core.analysis.detectors.base import Detector


def iterated_once(node: ast.AST, ctx: AnalysisContext) -> bool:
    """``node`` is the iterable of a for loop or a comprehension generator."""
    parent = ctx.parent
    return isinstance(parent, ast.For | ast.AsyncFor | ast.comprehension) and parent.iter is node


class ReadlinesIteration(Detector):
    id = "VX122"
    name = "readlines-iteration"
    action_type = "io_streaming"
    severity = "low"
    title = "whole file read into a list with readlines() just to iterate over it"
    fix = "iterate over the file object itself: it yields one line at a time"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.Call)
        if method_call(node, "readlines") and not node.args and iterated_once(node, ctx):
            ctx.report(self, node)
