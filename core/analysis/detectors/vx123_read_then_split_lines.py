"""VX123 read-then-split-lines: ``f.read().splitlines()`` (or ``.split("\\n")``) holds the
whole file and a list of all its lines in memory just to loop over the lines once.

Fires when such a call is the iterable of a loop, directly or through a local name bound
once to ``f.read()`` and used only there.

Bad::

    for line in open(path).read().splitlines():
        handle(line)

Good::

    with open(path) as f:
        for line in f:
            handle(line.rstrip("\\n"))
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import method_call
from core.analysis.detectors.base import Detector
from core.analysis.detectors.vx122_readlines_iteration import iterated_once


def _is_read_call(node: ast.AST) -> bool:
    found = method_call(node, "read")
    return bool(found) and not node.args and not node.keywords  # type: ignore[attr-defined]


class ReadThenSplitLines(Detector):
    id = "VX123"
    name = "read-then-split-lines"
    action_type = "io_streaming"
    severity = "low"
    title = "whole file read and split into lines just to iterate over them"
    fix = "iterate over the open file object line by line"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.Call)
        found = method_call(node, "splitlines", "split")
        if not found or not iterated_once(node, ctx):
            return
        receiver, method = found
        if method == "split" and not (
            len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "\n"
        ):
            return
        if method == "splitlines" and node.args:
            return
        if _is_read_call(receiver):
            ctx.report(self, node)
            return
        if isinstance(receiver, ast.Name) and ctx.scope.kind == "function":
            sf = facts.scope_facts(ctx.scope)
            bindings = sf.bindings.get(receiver.id, [])
            if (
                len(bindings) == 1
                and bindings[0].kind == "assign"
                and _is_read_call(bindings[0].value)  # type: ignore[arg-type]
                and len(sf.loads.get(receiver.id, [])) == 1
            ):
                ctx.report(self, node)
