"""VXR030 - a generator instead of a list that one reducer consumes right after.

``sizes = [size(p) for p in paths]`` followed by ``total = sum(sizes)`` holds every item
in memory at once, only for ``sum`` to read them once. A generator expression hands them
over one at a time: peak memory drops from O(n) to O(1) (the time stays about the same,
a little more per item for the generator). Measurement weighs one against the other with
the caller's objective weights.

Fires when a function binds a local to a list comprehension, the very next statement is
``x = f(local)``, ``return f(local)`` or ``f(local)`` where ``f`` is one of ``sum``,
``min``, ``max``, ``sorted``, ``set``, ``frozenset``, ``tuple`` (they read every item, in
order; ``any``/``all`` stop early and would leave items uncomputed) taking the local as
its first argument, and the local is used nowhere else. Nothing runs between making the
items and consuming them, so producing them lazily changes no order of effects.

Bad::

    def total_size(paths: list[str]) -> int:
        sizes = [len(p) * 512 for p in paths]
        return sum(sizes)

Good::

    def total_size(paths: list[str]) -> int:
        sizes = (len(p) * 512 for p in paths)
        return sum(sizes)
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule

_FULL_READERS = ("sum", "min", "max", "sorted", "set", "frozenset", "tuple")


class SingleUseList(Rule):
    id = "VXR030"
    name = "single_use_list_generator"
    action_type = "generator_conversion"
    detector_ids = ("VX143",)
    description = "Feed a reducer from a generator instead of a list it reads once."
    reasoning = (
        "The list holds every item at once only for the next statement to read them once; "
        "a generator hands them over one at a time, so peak memory no longer grows with n."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        names: list[str] = []
        occurrences = ctx.variables_in(unit.node)
        for block in u.statement_blocks(unit.node):
            body = list(block.body)
            for first, second in zip(body, body[1:], strict=False):
                bound = u.single_assign(first)
                if bound is None or not isinstance(bound[1], cst.ListComp):
                    continue
                name, comp = bound
                uses = occurrences.get(name, [])
                if len(uses) != 2 or not u.is_store(ctx, uses[0]):
                    continue  # bound here, read once: nothing else sees the list
                if not _consumed_by_reader(ctx, second, uses[1]):
                    continue
                assert isinstance(comp, cst.ListComp)
                edits[comp] = lambda upd: cst.GeneratorExp(
                    elt=upd.elt, for_in=upd.for_in, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                names.append(name)
        return u.finish(
            unit.node,
            edits,
            f"generator instead of the list {', '.join(names)} read once by the next statement",
        )


def _consumed_by_reader(ctx: ModuleContext, stmt: cst.BaseStatement, use: cst.Name) -> bool:
    """``stmt`` is ``x = f(use)``, ``return f(use)`` or ``f(use)`` with ``f`` a builtin
    that reads every item in order, ``use`` its first positional argument."""
    small = u.only_small(stmt)
    if not isinstance(small, cst.Assign | cst.AnnAssign | cst.Return | cst.Expr):
        return False
    call = small.value
    if not isinstance(call, cst.Call):
        return False
    fn = u.called_name(call)
    if fn not in _FULL_READERS or not u.builtin_available(ctx, fn):
        return False
    if not call.args or call.args[0].keyword or call.args[0].star:
        return False
    return call.args[0].value is use
