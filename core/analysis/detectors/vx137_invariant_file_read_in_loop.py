"""VX137 invariant-file-read-in-loop: opening and reading the same file for reading on
every iteration of a ``for`` loop repeats the I/O and the parsing each time.

Fires on ``open(path)`` in read mode inside a ``for`` loop or comprehension when ``path``
is a literal or local names that do not change between iterations, the file is only
read (read methods, iteration, ``json.load``...; a file handed to other code may be a
device or written through), and the loop opens nothing for writing. ``while`` loops are left alone: they often poll a file that does
change.

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
from core.analysis.detectors._helpers import builtin_call, parents_of
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
        if not _read_only(_mode(node)):
            return
        path = node.args[0]
        if not isinstance(path, ast.Constant):
            local = facts.scope_facts(ctx.scope).bindings
            if not all(n in local for n in facts.names_in(path)):
                return  # a global path (a test's TESTFN) is often rewritten between reads
            if not facts.is_loop_invariant(path, loop, ctx):
                return
        if not _only_read(node, ctx):
            return
        for call in facts.loop_facts(loop, ctx).calls:
            if call is not node and builtin_call(call, ctx, "open") and _writes(call):
                return
        ctx.report(self, node)


_READ_METHODS = frozenset({"read", "readline", "readlines", "read_text", "read_bytes"})
_READERS = ("json.load", "pickle.load", "tomllib.load", "csv.reader", "csv.DictReader", "plistlib.load")


def _only_read(call: ast.Call, ctx: AnalysisContext) -> bool:
    """The opened file is only read: ``open(p).read()``, or ``with open(p) as f:`` whose body
    uses ``f`` only through read methods, iteration or known readers (json.load...).
    A file handed to anything else may be a device or be written through."""
    parent = ctx.parent
    if isinstance(parent, ast.Attribute):
        return parent.attr in _READ_METHODS
    if not isinstance(parent, ast.withitem) or not isinstance(parent.optional_vars, ast.Name):
        return False
    name = parent.optional_vars.id
    with_stmt = ctx.stack[-3] if len(ctx.stack) > 2 else None
    if not isinstance(with_stmt, ast.With):
        return False
    used = False
    for stmt in with_stmt.body:
        parents = parents_of(stmt)
        for sub in ast.walk(stmt):
            if not (isinstance(sub, ast.Name) and sub.id == name):
                continue
            used = True
            up = parents.get(id(sub))
            if isinstance(up, ast.Attribute) and up.attr in _READ_METHODS:
                continue
            if isinstance(up, ast.For | ast.comprehension) and up.iter is sub:
                continue
            if isinstance(up, ast.Call) and sub in up.args and any(ctx.resolves_to(up.func, r) for r in _READERS):
                continue
            return False
    return used


def _mode(call: ast.Call) -> ast.expr | None:
    mode = call.args[1] if len(call.args) > 1 else None
    for k in call.keywords:
        if k.arg == "mode":
            mode = k.value
    return mode


def _read_only(mode: ast.expr | None) -> bool:
    return mode is None or (
        isinstance(mode, ast.Constant)
        and isinstance(mode.value, str)
        and not set(mode.value) & set("wax+")
    )


def _writes(call: ast.Call) -> bool:
    return not _read_only(_mode(call))
