"""VXR014 - build a loop-invariant ``sorted``/``set``/``list``/``tuple`` copy once.

``if x in set(allowed)`` or ``sorted(prices)[i]`` inside a loop builds a fresh container
from data the loop never changes, on every iteration (O(n) or O(n log n) each time).
When the container is only read where it is used, one copy built before the loop serves
every iteration.

Fires on ``sorted``/``set``/``frozenset``/``list``/``tuple`` calls whose positional
arguments are plain names (plus ``reverse=`` and a pure ``key=lambda``) inside a loop that
never rebinds those names nor uses them other than read-only, where the built container
is only read: a membership test, an index, an iteration, the argument of a pure builtin, or
a read-only method. Proven when the input's items are known to fit (hashable for sets,
``int``/``str`` for ``sorted``; any list, str, set or dict for ``list``/``tuple``); otherwise
marked for verification.

Bad::

    def flag_outliers(values: list[int], limits: list[int]) -> list[bool]:
        return [v > sorted(limits)[-1] for v in values]

Good::

    def flag_outliers(values: list[int], limits: list[int]) -> list[bool]:
        sorted_limits = sorted(limits)
        return [v > sorted_limits[-1] for v in values]
"""

from __future__ import annotations

import re

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule
from core.rules.hoisting import hoist_calls, make_rewrite

_FUNCTIONS = frozenset({"sorted", "set", "frozenset", "list", "tuple"})


class HoistInvariantCopy(Rule):
    id = "VXR014"
    name = "hoist_invariant_copy"
    action_type = "redundant_computation_elimination"
    detector_ids = ("VX114", "VX116")
    description = "Build a loop-invariant sorted/set/list/tuple copy once, before the loop."
    reasoning = (
        "The loop rebuilds the same container from unchanged data on every iteration; one "
        "copy built before the loop and only read inside gives the same results."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        def judge(call: cst.Call, func: cst.FunctionDef, stmt: cst.BaseStatement):  # type: ignore[no-untyped-def]
            if not _result_only_read(ctx, call):
                return None
            fn = u.called_name(call)
            positional = [a for a in call.args if a.keyword is None]
            if len(positional) != 1:
                return None
            name = positional[0].value.value  # type: ignore[attr-defined]
            kind, elem = u.local_kind(ctx, func, name)
            if fn in ("set", "frozenset"):
                ok = (kind == "list" and elem == "hashable") or kind in ("set", "mapping", "str")
                return ([] if ok else [f"the items of {name} may be unhashable"]), None
            if fn == "sorted":
                ok = len(call.args) == 1 and _int_or_str_list(ctx, func, name)
                return ([] if ok else [f"the items of {name} may not be comparable"]), None
            ok = kind in ("list", "str", "set", "mapping")
            return ([] if ok else [f"{name} may be an iterator, consumed by one copy"]), None

        return make_rewrite(hoist_calls(ctx, unit, _FUNCTIONS, judge), "loop invariant")


def _result_only_read(ctx: ModuleContext, call: cst.Call) -> bool:
    p = ctx.parents.get(call)
    if isinstance(p, cst.ComparisonTarget):
        return p.comparator is call and isinstance(p.operator, cst.In | cst.NotIn)
    if isinstance(p, cst.Subscript):
        return p.value is call and ctx.expr_ctx.get(p) is not None and not u.is_store(ctx, p)  # type: ignore[arg-type]
    if isinstance(p, cst.For | cst.CompFor):
        return p.iter is call
    if isinstance(p, cst.Arg) and p.keyword is None and p.star == "":
        outer = ctx.parents.get(p)
        return (
            isinstance(outer, cst.Call)
            and u.called_name(outer) in u.PURE_BUILTINS
            and u.builtin_available(ctx, u.called_name(outer) or "")
        )
    if isinstance(p, cst.Attribute) and p.value is call:
        outer = ctx.parents.get(p)
        return (
            isinstance(outer, cst.Call) and outer.func is p and p.attr.value in u.READONLY_METHODS
        )
    return False


def _int_or_str_list(ctx: ModuleContext, func: cst.FunctionDef, name: str) -> bool:
    return any(
        p.name.value == name
        and re.fullmatch(r"(list|List|Sequence)\[(int|str)\]", u.annotation_text(ctx, p) or "")
        for p in u.params_of(func)
    )
