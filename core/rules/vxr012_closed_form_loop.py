"""VXR012 - replace an accumulation loop over a range by its exact closed form.

``total = 0`` followed by ``for i in range(n): total += i * i`` runs n iterations for a
number Faulhaber's formulas give in O(1), exactly (see ``core.rules.polysum``).

Fires when ``total = 0`` is followed (with nothing in between mentioning ``total``) by a
``for`` loop without ``else`` over ``range(...)`` whose body is the single statement
``total += P(i)`` or ``total = total + P(i)``, ``P`` an integer polynomial of degree <= 3
in the loop variable, and the loop variable is not used anywhere else in the function.
The loop and the initialisation become ``total = <formula>``. Marked for verification
when a bound is not proven to be an ``int``.

Bad::

    def sum_of_squares(n: int) -> int:
        total = 0
        for i in range(n):
            total += i * i
        return total

Good::

    def sum_of_squares(n: int) -> int:
        total = (n - 1) * n * (2 * n - 1) // 6 if n > 0 else 0
        return total
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules import polysum
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


class ClosedFormLoop(Rule):
    id = "VXR012"
    name = "closed_form_loop"
    action_type = "closed_form_math"
    detector_ids = ("VX126",)
    description = "Replace an accumulation loop over a range by its exact closed form."
    reasoning = (
        "The loop adds n polynomial terms one by one; Faulhaber's formula computes the "
        "same integer in O(1) with exact integer arithmetic."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        why: list[str] = []
        names: list[str] = []
        for func, body, i, s0, total, value in u.init_sites(ctx, unit.node):
            if not (isinstance(value, cst.Integer) and value.value == "0"):
                continue
            loop = u.first_mention_after(ctx, body, i, total)
            found = _loop_parts(ctx, func, loop, total)
            if found is None:
                continue
            poly, (lo, hi) = found
            code = polysum.closed_form(poly, lo, hi)
            for bound in (lo, hi):
                if not polysum.certainly_int(ctx, func, bound):
                    why.append(f"range bound {bound} is not proven to be an int")
            u.collapse(edits, s0, loop, f"{total} = {code}")
            names.append(total)
        return u.finish(
            unit.node,
            edits,
            f"compute {', '.join(names)} with an exact closed form instead of a loop",
            why,
        )


def _loop_parts(  # type: ignore[no-untyped-def]
    ctx: ModuleContext, func: cst.FunctionDef, loop: cst.CSTNode | None, total: str
):
    if not isinstance(loop, cst.For) or loop.orelse is not None or loop.asynchronous:
        return None
    if not isinstance(loop.target, cst.Name):
        return None
    var = loop.target.value
    body = u.block_body(loop.body)
    if body is None or len(body) != 1:
        return None
    small = u.only_small(body[0])
    if isinstance(small, cst.AugAssign) and isinstance(small.operator, cst.AddAssign):
        if not u.is_name(small.target, total):
            return None
        term = small.value
    elif isinstance(small, cst.Assign) and len(small.targets) == 1:
        if not u.is_name(small.targets[0].target, total):
            return None
        term = _rest_of_sum(small.value, total)
        if term is None:
            return None
    else:
        return None
    if u.var_names(ctx, term, total) or u.var_names(ctx, loop.iter, total):
        return None
    outside = [n for n in u.var_names(ctx, func.body, var) if not u.contains(loop, n)]
    if any(u.in_scope(ctx, n, func) for n in outside):
        return None
    bounds = polysum.range_bounds(ctx, loop.iter)
    poly = polysum.poly_of(term, var)
    if bounds is None or poly is None:
        return None
    return poly, bounds


def _rest_of_sum(value: cst.BaseExpression, total: str) -> cst.BaseExpression | None:
    """``total + a - b + c`` (unparenthesised, left-associated) -> ``a - b + c``."""
    spine: list[tuple[cst.BaseBinaryOp, cst.BaseExpression]] = []
    e = value
    while (
        isinstance(e, cst.BinaryOperation)
        and isinstance(e.operator, cst.Add | cst.Subtract)
        and not e.lpar
    ):
        spine.append((e.operator, e.right))
        e = e.left
    if not u.is_name(e, total) or not spine:
        return None
    spine.reverse()
    if not isinstance(spine[0][0], cst.Add):
        return None
    term = spine[0][1]
    for op, right in spine[1:]:
        term = cst.BinaryOperation(left=term, operator=op, right=right)
    return term
