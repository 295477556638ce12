"""VXR025 - replace a hand-written accumulation loop by ``sum()``.

``total = 0; for x in xs: total += f(x)`` runs the addition in bytecode, one iteration at
a time. ``sum()`` adds in C, and over the list itself (``sum(xs)``) avoids the loop
entirely.

Fires when ``total = 0`` (or ``0.0``) is followed, with nothing in between mentioning
``total``, by a ``for`` loop without ``else`` whose body is exactly ``total += expr``
(optionally inside one ``if`` without ``else``), ``expr`` and the condition not
mentioning ``total``, the loop variables not read after the loop, and the loop not inside
a ``try`` (a failure half-way would leave a partial total behind). A float start becomes
``sum(..., 0.0)`` so an empty input still gives ``0.0``. Loops over a ``range`` with a
polynomial body are left to VXR012. Marked for verification unless the items are known
to be ints (since Python 3.12 ``sum`` adds floats with compensated summation, which can
differ from the loop in the last bits).

Bad::

    def order_total(lines: list[tuple[int, int]]) -> int:
        total = 0
        for qty, price in lines:
            total += qty * price
        return total

Good::

    def order_total(lines: list[tuple[int, int]]) -> int:
        total = sum(qty * price for qty, price in lines)
        return total
"""

from __future__ import annotations

import re

import libcst as cst

from core.rules import cstutil as u
from core.rules import polysum
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule
from core.rules.vxr016_list_comprehension import comprehension_site, render_clauses

_INT_ITEMS = r"(list|List|Sequence|tuple|Iterable)\[(int|tuple\[int(,int)*\])(,\.\.\.)?\]"


class ManualSum(Rule):
    id = "VXR025"
    name = "manual_sum"
    action_type = "builtin_function_usage"
    detector_ids = ("VX135",)
    description = "Replace a hand-written accumulation loop by sum()."
    reasoning = (
        "The loop adds one item per bytecode iteration; sum() runs the additions in C "
        "(and sum(xs) needs no Python-level loop at all)."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        if not u.builtin_available(ctx, "sum"):
            return None
        edits: dict[cst.CSTNode, u.Edit] = {}
        why: list[str] = []
        names: list[str] = []
        for func, body, i, s0, total, start in u.init_sites(ctx, unit.node):
            if not _zero(start):
                continue
            site = comprehension_site(ctx, func, body, i, total, edits)
            if site is None:
                continue
            loop, clauses, small = site
            if not (
                isinstance(small, cst.AugAssign)
                and isinstance(small.operator, cst.AddAssign)
                and u.is_name(small.target, total)
            ):
                continue
            term = small.value
            if u.var_names(ctx, term, total):
                continue
            if _closed_form_applies(ctx, clauses, term):
                continue
            term_code = ctx.code(term).strip()
            only_for = len(clauses) == 1
            if only_for and term_code == ctx.code(clauses[0][1]).strip():
                inner = ctx.code(clauses[0][2]).strip()  # sum(xs) itself
                is_gen = False
            else:
                inner = f"{term_code} {render_clauses(ctx, clauses)}"
                is_gen = True
            if isinstance(start, cst.Float):
                value = f"sum(({inner}), 0.0)" if is_gen else f"sum({inner}, 0.0)"
            else:
                value = f"sum({inner})"
            u.collapse(edits, s0, loop, f"{total} = {value}")
            names.append(total)
            if not (_int_items(ctx, func, clauses) and _int_expr(term)):
                why.append("the items may be floats (sum() rounds differently on 3.12+)")
        return u.finish(unit.node, edits, f"compute {', '.join(names)} with sum()", why)


def _zero(e: cst.BaseExpression) -> bool:
    if isinstance(e, cst.Integer):
        return e.value == "0"
    return isinstance(e, cst.Float) and float(e.value) == 0.0


def _closed_form_applies(ctx: ModuleContext, clauses, term) -> bool:  # type: ignore[no-untyped-def]
    if len(clauses) != 1 or not isinstance(clauses[0][1], cst.Name):
        return False
    return (
        polysum.range_bounds(ctx, clauses[0][2]) is not None
        and polysum.poly_of(term, clauses[0][1].value) is not None
    )


def _int_items(ctx: ModuleContext, func: cst.FunctionDef, clauses) -> bool:  # type: ignore[no-untyped-def]
    fors = [c for c in clauses if c[0] == "for"]
    if len(fors) != 1 or not isinstance(fors[0][2], cst.Name):
        return False
    name = fors[0][2].value
    return any(
        p.name.value == name and re.fullmatch(_INT_ITEMS, u.annotation_text(ctx, p) or "")
        for p in u.params_of(func)
    )


def _int_expr(e: cst.BaseExpression) -> bool:
    """Built from names and int literals with operators that keep ints ints."""
    if isinstance(e, cst.Name | cst.Integer):
        return True
    if isinstance(e, cst.BinaryOperation):
        return isinstance(
            e.operator, cst.Add | cst.Subtract | cst.Multiply | cst.FloorDivide | cst.Modulo
        ) and _int_expr(e.left) and _int_expr(e.right)
    if isinstance(e, cst.UnaryOperation):
        return isinstance(e.operator, cst.Minus | cst.Plus) and _int_expr(e.expression)
    return False
