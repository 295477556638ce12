"""VX108 string-concat-in-loop: ``s += piece`` in a loop copies the string built so far on
every iteration (CPython can sometimes resize in place, but any other reference to the
string, or another Python, makes it O(n^2)).

Fires only when ``s`` is a local string (bound only to string literals/f-strings and grown
with ``+=``/``s = s + ...``) and the loop does not read ``s`` for anything else.

Bad::

    out = ""
    for row in rows:
        out += format_row(row) + "\\n"

Good::

    out = "".join(format_row(row) + "\\n" for row in rows)
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors.base import Detector


class StringConcatInLoop(Detector):
    id = "VX108"
    name = "string-concat-in-loop"
    action_type = "string_building"
    severity = "medium"
    title = "string built with += inside a loop (repeated copying)"
    fix = "collect the pieces in a list and ''.join() them once (or write to io.StringIO)"
    node_types = (ast.AugAssign, ast.Assign)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop:
            return
        if isinstance(node, ast.AugAssign):
            if not (isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name)):
                return
            name = node.target.id
        else:
            assert isinstance(node, ast.Assign)
            if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
                return
            name = node.targets[0].id
            value = node.value
            if not (
                isinstance(value, ast.BinOp)
                and isinstance(value.op, ast.Add)
                and isinstance(value.left, ast.Name)
                and value.left.id == name
            ):
                return
        if not facts.is_local_str(name, ctx):
            return
        loop = ctx.loops[-1]
        reads = 0
        for root in facts.loop_region(loop):
            for sub in ast.walk(root):
                if isinstance(sub, ast.Name) and sub.id == name and isinstance(sub.ctx, ast.Load):
                    reads += 1
        if reads > (0 if isinstance(node, ast.AugAssign) else 1):
            return  # the loop reads the partial string: join is not a drop-in
        ctx.report(self, node, title=f"string '{name}' built with += inside a loop")
