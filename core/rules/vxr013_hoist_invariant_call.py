"""VXR013 - compute a loop-invariant ``len``/``sum``/``min``/``max``/``any``/``all`` once.

``max(scores)`` inside ``for s in scores`` rescans the whole list on every iteration: the
loop is quadratic for a value that never changes. Computed once before the loop it costs
one pass. ``len(x)`` in a ``while`` condition is the cheap version of the same waste.

Fires on such a call whose positional arguments are plain names (plus an optional
``key=lambda`` calling only pure builtins) inside a loop that never rebinds those names
nor uses them other than read-only; the value is hoisted before the outermost such loop
and shared by identical calls. ``len`` of a name known to be a list, str, dict or set is
proven. The folds are proven only over a parameter annotated ``list[int]``/``list[float]``
(they cannot raise): ``min``/``max`` only when the loop iterates that very list, and then
as ``max(xs) if xs else None`` so an empty list that skips the loop still raises nothing.
Otherwise the candidate is marked for verification (the hoisted call runs even when the
loop would not have reached it, and might raise).

Bad::

    def normalise(scores: list[float]) -> list[float]:
        out = []
        for s in scores:
            out.append(s / max(scores))
        return out

Good::

    def normalise(scores: list[float]) -> list[float]:
        out = []
        max_scores = max(scores) if scores else None
        for s in scores:
            out.append(s / max_scores)
        return out
"""

from __future__ import annotations

import re

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule
from core.rules.hoisting import hoist_calls, make_rewrite

_FUNCTIONS = frozenset({"len", "sum", "min", "max", "any", "all"})
_NUMERIC_LIST = r"(list|List|Sequence|tuple)\[(int|float)(,\.\.\.)?\]"


class HoistInvariantCall(Rule):
    id = "VXR013"
    name = "hoist_invariant_call"
    action_type = "loop_invariant_hoisting"
    detector_ids = ("VX116",)
    description = "Compute a loop-invariant len/sum/min/max/any/all once, before the loop."
    reasoning = (
        "The call scans data the loop never changes, on every iteration; computing it once "
        "turns an O(n) step per iteration into a single O(n) pass."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        def judge(call: cst.Call, func: cst.FunctionDef, stmt: cst.BaseStatement):  # type: ignore[no-untyped-def]
            fn = u.called_name(call)
            if len([a for a in call.args if a.keyword is None]) != 1:
                return None  # max(a, b) on scalars is not a scan
            first = call.args[0].value
            assert isinstance(first, cst.Name)
            kind, _ = u.local_kind(ctx, func, first.value)
            if fn == "len":
                if len(call.args) != 1:
                    return None
                if kind in ("list", "str", "mapping", "set"):
                    return [], None
                return [f"{first.value} may not be sized"], None
            if _numeric_list_param(ctx, func, first.value):
                if fn in ("sum", "any", "all"):
                    return [], None
                if (
                    isinstance(stmt, cst.For)
                    and u.is_name(stmt.iter, first.value)
                    and len(call.args) == 1
                ):
                    return [], first.value
            return [
                f"{fn}({first.value}) now runs even where the loop would not have called it "
                "(it may raise)"
            ], None

        return make_rewrite(hoist_calls(ctx, unit, _FUNCTIONS, judge), "loop invariant")


def _numeric_list_param(ctx: ModuleContext, func: cst.FunctionDef, name: str) -> bool:
    return any(
        p.name.value == name and re.fullmatch(_NUMERIC_LIST, u.annotation_text(ctx, p) or "")
        for p in u.params_of(func)
    )
