"""VXR011 - replace a sum of an integer polynomial over a range by its exact closed form.

``sum(i**2 for i in range(n))`` does n iterations; Faulhaber's formulas give the same
integer in O(1): ``(n - 1) * n * (2 * n - 1) // 6``. The integer division is exact, so
the result is identical, not an approximation (see ``core.rules.polysum``).

Fires on ``sum(range(...))`` and on ``sum(P(i) for i in range(...))`` (generator or list
comprehension, one ``for``, no ``if``) where ``P`` is a polynomial of degree <= 3 in the
loop variable with integer literal coefficients, built from ``+ - * **`` only, and the
range bounds are side-effect-free integer expressions (literals, names, ``len(name)``).
Empty ranges give 0, as the loop does. Marked for verification when a bound is not proven
to be an ``int`` (a float bound makes ``range`` raise, the formula would not).

Bad::

    def slow() -> int:
        return sum([i**2 for i in range(1000000)])

Good::

    def slow() -> int:
        return (1000000 - 1) * 1000000 * (2 * 1000000 - 1) // 6
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules import polysum
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


class ClosedFormSum(Rule):
    id = "VXR011"
    name = "closed_form_sum"
    action_type = "closed_form_math"
    detector_ids = ("VX127",)
    description = "Replace sum() of an integer polynomial over a range by its exact formula."
    reasoning = (
        "The sum over range(n) takes n iterations; Faulhaber's formula computes the same "
        "integer with a few multiplications (exact integer arithmetic, O(1))."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        if not u.builtin_available(ctx, "sum"):
            return None
        edits: dict[cst.CSTNode, u.Edit] = {}
        why: list[str] = []
        for call in u.walk(unit.node):
            if not (
                isinstance(call, cst.Call)
                and u.called_name(call) == "sum"
                and len(call.args) == 1
                and call.args[0].star == ""
                and call.args[0].keyword is None
            ):
                continue
            func = u.enclosing_scope(ctx, call)
            if not isinstance(func, cst.FunctionDef):
                continue
            found = _parts(ctx, call.args[0].value)
            if found is None:
                continue
            poly, (lo, hi) = found
            code = polysum.closed_form(poly, lo, hi)
            for bound in (lo, hi):
                if not polysum.certainly_int(ctx, func, bound):
                    why.append(f"range bound {bound} is not proven to be an int")
            edits[call] = u.replace_with(_fit(ctx, call, code))
        return u.finish(unit.node, edits, "replace sum over a range by its exact closed form", why)


def _parts(ctx: ModuleContext, arg: cst.BaseExpression):  # type: ignore[no-untyped-def]
    bounds = polysum.range_bounds(ctx, arg)
    if bounds is not None:
        return {1: 1}, bounds
    if not isinstance(arg, cst.GeneratorExp | cst.ListComp):
        return None
    f = arg.for_in
    if f.ifs or f.inner_for_in is not None or f.asynchronous is not None:
        return None
    if not isinstance(f.target, cst.Name):
        return None
    bounds = polysum.range_bounds(ctx, f.iter)
    poly = polysum.poly_of(arg.elt, f.target.value)
    if bounds is None or poly is None:
        return None
    return poly, bounds


def _fit(ctx: ModuleContext, node: cst.CSTNode, code: str) -> cst.BaseExpression:
    """The replacement expression, parenthesised unless it stands alone."""
    p = ctx.parents.get(node)
    alone = isinstance(p, cst.Return | cst.Assign | cst.AnnAssign | cst.AugAssign | cst.Expr) or (
        isinstance(p, cst.Arg) and isinstance(ctx.parents.get(p), cst.Call)
    )
    return u.expr(code if alone else f"({code})")
