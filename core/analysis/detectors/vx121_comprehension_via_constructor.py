"""VX121 comprehension-via-constructor: ``list(x for x in ...)``, ``set([...])``,
``dict((k, v) for ...)`` go through a generator or an extra list where a comprehension
builds the result directly.

Bad::

    names = set([user.name for user in users])
    index = dict((u.id, u) for u in users)

Good::

    names = {user.name for user in users}
    index = {u.id: u for u in users}
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call
from core.analysis.detectors.base import Detector


class ComprehensionViaConstructor(Detector):
    id = "VX121"
    name = "comprehension-via-constructor"
    action_type = "comprehension_conversion"
    severity = "low"
    title = "collection built through a constructor around a generator/list"
    fix = "write the comprehension directly ([...], {...}, {k: v ...})"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        name = builtin_call(node, ctx, "list", "set", "dict")
        assert isinstance(node, ast.Call)
        if not name or len(node.args) != 1 or node.keywords:
            return
        arg = node.args[0]
        if name == "list" and isinstance(arg, ast.GeneratorExp):
            good = "a list comprehension [...]"
        elif name == "set" and isinstance(arg, ast.GeneratorExp | ast.ListComp):
            good = "a set comprehension {...}"
        elif (
            name == "dict"
            and isinstance(arg, ast.GeneratorExp | ast.ListComp)
            and isinstance(arg.elt, ast.Tuple)
            and len(arg.elt.elts) == 2
        ):
            good = "a dict comprehension {k: v ...}"
        else:
            return
        ctx.report(self, node, title=f"{name}() around a {type(arg).__name__}", fix=f"use {good}")
