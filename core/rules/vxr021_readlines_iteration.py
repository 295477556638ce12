"""VXR021 - iterate over the file instead of ``readlines()``.

``for line in f.readlines()`` reads the whole file into a list of lines before the first
iteration: memory proportional to the file. Iterating the file object yields the very
same lines (newlines included) one buffered read at a time.

Fires on ``for``-loops and comprehensions over ``F.readlines()`` (no argument) where ``F``
is a name that is not used inside the loop and not used after it in the function except
to ``close()`` it (reading the rest of the file after a ``break`` would otherwise see
different data), and on ``open(...).readlines()`` directly.

Bad::

    def count_errors(path: str) -> int:
        n = 0
        with open(path) as fh:
            for line in fh.readlines():
                if "ERROR" in line:
                    n += 1
        return n

Good::

    def count_errors(path: str) -> int:
        n = 0
        with open(path) as fh:
            for line in fh:
                if "ERROR" in line:
                    n += 1
        return n
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


class ReadlinesIteration(Rule):
    id = "VXR021"
    name = "readlines_iteration"
    action_type = "io_streaming"
    detector_ids = ("VX122",)
    description = "Iterate over the file object instead of readlines()."
    reasoning = (
        "readlines() holds every line of the file in memory before the loop starts; the "
        "file object yields the same lines lazily."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        for node in u.walk(unit.node):
            if not isinstance(node, cst.For | cst.CompFor):
                continue
            mc = u.method_call(node.iter)
            if mc is None or mc[1] != "readlines" or node.iter.args:  # type: ignore[attr-defined]
                continue
            f = mc[0]
            loop = node if isinstance(node, cst.For) else ctx.parents.get(node)
            func = u.enclosing_scope(ctx, node)
            if not isinstance(func, cst.FunctionDef) or loop is None:
                continue
            if isinstance(f, cst.Name):
                if not _unused_elsewhere(ctx, func, loop, node.iter, f.value):
                    continue
            elif not (
                isinstance(f, cst.Call)
                and u.called_name(f) == "open"
                and u.builtin_available(ctx, "open")
            ):
                continue
            edits[node.iter] = u.replace_with(f)
        return u.finish(unit.node, edits, "iterate over the file instead of readlines()")


def _unused_elsewhere(  # type: ignore[no-untyped-def]
    ctx: ModuleContext, func: cst.FunctionDef, loop: cst.CSTNode, it, name: str
) -> bool:
    order = u.preorder_index(func)
    for occ in u.var_names(ctx, func.body, name):
        if u.contains(it, occ):
            continue
        if u.contains(loop, occ):
            return False
        if order[occ] > order[loop]:
            p = ctx.parents.get(occ)
            gp = ctx.parents.get(p) if p is not None else None
            if not (
                isinstance(p, cst.Attribute)
                and p.attr.value == "close"
                and isinstance(gp, cst.Call)
                and not gp.args
            ):
                return False
    return True
