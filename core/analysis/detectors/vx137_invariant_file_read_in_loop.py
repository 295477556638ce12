"""VX137 invariant-file-read-in-loop: opening and reading the same file for reading on
every iteration of a ``for`` loop repeats the I/O and the parsing each time.

Fires on ``open(path)`` in read mode inside a ``for`` loop or comprehension when ``path``
(and the mode) do not change between iterations. ``while`` loops are left alone: they
often poll a file that does change.

Bad::

    for user in users:
        with open("config.json") as f:
            config = json.load(f)
        apply(config, user)

Good::

    with open("config.json") as f:
        config = json.load(f)
    for user in users:
        apply(config, user)
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call
from core.analysis.detectors.base import Detector


class InvariantFileReadInLoop(Detector):
    id = "VX137"
    name = "invariant-file-read-in-loop"
    action_type = "loop_invariant_hoisting"
    severity = "high"
    title = "the same file is opened and read on every loop iteration"
    fix = "read it once before the loop and reuse the data"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop or not builtin_call(node, ctx, "open"):
            return
        loop = ctx.loops[-1]
        if isinstance(loop.node, ast.While) or any(isinstance(lp.node, ast.While) for lp in ctx.loops):
            return
        assert isinstance(node, ast.Call)
        if not node.args:
            return
        mode = node.args[1] if len(node.args) > 1 else None
        for k in node.keywords:
            if k.arg == "mode":
                mode = k.value
        if mode is not None and not (
            isinstance(mode, ast.Constant)
            and isinstance(mode.value, str)
            and not set(mode.value) & set("wax+")
        ):
            return
        path = node.args[0]
        if isinstance(path, ast.Constant) or facts.is_loop_invariant(path, loop, ctx):
            ctx.report(self, node)
