"""VX118 deepcopy-in-loop: ``copy.deepcopy(template)`` of the same object on every loop
iteration walks and copies the whole object graph each time.

Fires when the copied object is loop-invariant (per-item copies of the loop variable are
not reported: copying each item once is what the code asks for).

Bad::

    for change in changes:
        state = copy.deepcopy(initial)     # full graph copy per iteration
        apply(state, change)

Good::

    for change in changes:
        state = dict(initial)              # copy only the level that changes,
        apply(state, change)               # or undo the change instead of copying
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors.base import Detector


class DeepcopyInLoop(Detector):
    id = "VX118"
    name = "deepcopy-in-loop"
    action_type = "copy_reduction"
    severity = "medium"
    title = "the same object is deep-copied on every loop iteration"
    fix = "copy once, copy only the part that changes (shallow copy), or undo changes instead"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop:
            return
        assert isinstance(node, ast.Call)
        if not ctx.resolves_to(node.func, "copy.deepcopy") or len(node.args) != 1:
            return
        arg = node.args[0]
        if isinstance(arg, ast.Constant):
            return
        if facts.is_loop_invariant(arg, ctx.loops[-1], ctx):
            ctx.report(self, node)
