"""VXR010 - feed ``sum``/``any``/``all``/``min``/``max`` a generator, not a list.

``sum([f(x) for x in xs])`` materialises every element in a list only to fold it; the
generator expression ``sum(f(x) for x in xs)`` keeps O(1) memory, and ``any``/``all``
stop at the first deciding element instead of computing them all.

Fires on a list comprehension passed as the first positional argument of the builtins
``sum``, ``any``, ``all``, ``min`` and ``max`` (not shadowed). ``sum``/``min``/``max`` evaluate
every element either way. ``any``/``all`` may now evaluate fewer elements: when the
element or condition calls anything but a pure builtin, the candidate is marked for
verification (skipped calls may have had effects).

Bad::

    def total_weight(items: list[dict[str, float]]) -> float:
        return sum([item["weight"] * item["qty"] for item in items])

Good::

    def total_weight(items: list[dict[str, float]]) -> float:
        return sum(item["weight"] * item["qty"] for item in items)
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule

_REDUCERS = ("sum", "any", "all", "min", "max")


class GeneratorReducer(Rule):
    id = "VXR010"
    name = "generator_reducer"
    action_type = "generator_conversion"
    detector_ids = ("VX119", "VX120")
    description = "Pass a generator expression instead of a list comprehension to a reducer."
    reasoning = (
        "The reducer consumes the items once; building the whole list first costs O(n) "
        "memory, and any()/all() cannot stop early over a list that is already computed."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        why: list[str] = []
        used: list[str] = []
        for call, fn in u.builtin_calls(ctx, unit.node, _REDUCERS):
            if not call.args:
                continue
            first = call.args[0]
            if first.star or first.keyword or not isinstance(first.value, cst.ListComp):
                continue
            comp = first.value
            if fn in ("any", "all") and u.unknown_calls(ctx, comp):
                why.append(f"{fn}() may skip calls made by the comprehension")
            alone = len(call.args) == 1
            edits[comp] = lambda upd, alone=alone: _to_gen(upd, alone)
            used.append(fn)
        return u.finish(
            unit.node,
            edits,
            f"pass a generator to {', '.join(dict.fromkeys(used))}()",
            why,
        )


def _to_gen(comp: cst.ListComp, alone: bool) -> cst.GeneratorExp:
    if alone:  # the call's own parentheses serve
        return cst.GeneratorExp(elt=comp.elt, for_in=comp.for_in, lpar=[], rpar=[])
    return cst.GeneratorExp(
        elt=comp.elt,
        for_in=comp.for_in,
        lpar=[cst.LeftParen(whitespace_after=comp.lbracket.whitespace_after)],
        rpar=[cst.RightParen(whitespace_before=comp.rbracket.whitespace_before)],
    )
