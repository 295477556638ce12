"""VXR019 - flatten with ``itertools.chain`` instead of ``sum(lists, [])``.

``sum(lists, [])`` adds the lists pairwise, copying the growing result every time:
quadratic in the total length. ``list(itertools.chain.from_iterable(lists))`` copies each
item once.

Fires on ``sum(X, [])`` (also ``start=[]``). ``sum`` only accepts lists there (adding a
tuple raises TypeError) while ``chain`` flattens any iterables, so the candidate is marked
for verification unless ``X`` is a parameter annotated ``list[list[...]]``.

Bad::

    def all_tags(groups: list[list[str]]) -> list[str]:
        return sum(groups, [])

Good::

    import itertools

    def all_tags(groups: list[list[str]]) -> list[str]:
        return list(itertools.chain.from_iterable(groups))
"""

from __future__ import annotations

import re

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


class SumOfLists(Rule):
    id = "VXR019"
    name = "sum_of_lists"
    action_type = "algorithm_change"
    detector_ids = ("VX112",)
    description = "Flatten with itertools.chain.from_iterable instead of sum(lists, [])."
    reasoning = (
        "sum(lists, []) re-copies the accumulated list at every addition (quadratic); "
        "chain.from_iterable visits each item once."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        if not (u.builtin_available(ctx, "sum") and u.builtin_available(ctx, "list")):
            return None
        sites = []
        why: list[str] = []
        for call in u.walk(unit.node):
            if not isinstance(call, cst.Call) or u.called_name(call) != "sum":
                continue
            args = list(call.args)
            if len(args) != 2 or args[0].keyword or args[0].star or args[1].star:
                continue
            start = args[1]
            if start.keyword is not None and start.keyword.value != "start":
                continue
            if not (isinstance(start.value, cst.List) and not start.value.elements):
                continue
            func = u.enclosing_scope(ctx, call)
            x = args[0].value
            if not (
                isinstance(func, cst.FunctionDef)
                and isinstance(x, cst.Name)
                and _list_of_lists(ctx, func, x.value)
            ):
                why.append(f"{ctx.code(x).strip()} may hold non-list iterables")
            sites.append(call)
        if not sites:
            return None
        ref = ctx.reference("itertools")
        if ref is None:
            return None
        edits: dict[cst.CSTNode, u.Edit] = {}
        for call in sites:
            edits[call] = lambda upd, r=ref[0]: u.expr(
                f"list({r}.chain.from_iterable({cst.Module(body=[]).code_for_node(upd.args[0].value)}))"
            )
        return Rewrite(
            new_node=u.apply_edits(unit.node, edits),
            summary="flatten with itertools.chain.from_iterable instead of sum(..., [])",
            needs_verification=bool(why),
            unproven="; ".join(dict.fromkeys(why)),
            imports=[ref[1]] if ref[1] else [],
        )


def _list_of_lists(ctx: ModuleContext, func: cst.FunctionDef, name: str) -> bool:
    return any(
        p.name.value == name
        and re.fullmatch(r"(list|List|Sequence)\[(list|List)\[.*\]\]", u.annotation_text(ctx, p) or "")
        for p in u.params_of(func)
    )
