"""VX117 regex-in-loop: ``re.compile(pattern)`` or ``re.match(pattern, ...)`` with a
literal pattern inside a loop looks the pattern up in re's cache (or recompiles it when
the cache has been flushed) on every iteration.

Fires on calls to ``re`` functions with a literal pattern inside a loop, resolved through
the module's imports (``import re``, ``import re as r``, ``from re import match``).

Bad::

    for line in lines:
        if re.match(r"\\d+-\\d+", line):
            ...

Good::

    RANGE = re.compile(r"\\d+-\\d+")       # module level, once
    for line in lines:
        if RANGE.match(line):
            ...
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors.base import Detector

_FUNCS = ("compile", "match", "search", "fullmatch", "findall", "finditer", "sub", "subn", "split")


class RegexInLoop(Detector):
    id = "VX117"
    name = "regex-in-loop"
    action_type = "regex_precompilation"
    severity = "low"
    title = "regular expression compiled/looked up on every loop iteration"
    fix = "compile the pattern once outside the loop (re.compile) and call its methods"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop:
            return
        assert isinstance(node, ast.Call)
        func = next((f for f in _FUNCS if ctx.resolves_to(node.func, f"re.{f}")), None)
        if func is None:
            return
        pattern = node.args[0] if node.args else None
        for k in node.keywords:
            if k.arg == "pattern":
                pattern = k.value
        if not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, str | bytes)):
            return
        if func == "compile":
            ctx.report(self, node, severity="medium", title="re.compile() of a literal pattern inside a loop")
        else:
            ctx.report(self, node, title=f"re.{func}() with a literal pattern inside a loop")
