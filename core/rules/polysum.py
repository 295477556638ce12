"""Exact closed forms for sums of integer polynomials over integer ranges.

For an integer polynomial ``P(i) = c0 + c1*i + c2*i**2 + c3*i**3``,
``sum(P(i) for i in range(lo, hi))`` equals ``sum_k ck * (S_k(hi) - S_k(lo))`` when
``hi > lo`` and 0 otherwise, where the S_k are Faulhaber's polynomials:

* ``S0(x) = x``
* ``S1(x) = x * (x - 1) // 2``
* ``S2(x) = (x - 1) * x * (2 * x - 1) // 6``
* ``S3(x) = (x * (x - 1) // 2) ** 2``

Each satisfies ``S_k(x + 1) - S_k(x) == x**k`` for every integer x (negative ones too) and
is an integer for every integer x, so the integer divisions are exact.
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import ModuleContext

Poly = dict[int, int]  # power -> coefficient
MAX_DEGREE = 3


def poly_of(e: cst.BaseExpression, var: str) -> Poly | None:
    """``e`` as an integer polynomial in ``var`` of degree <= 3, or None."""
    if isinstance(e, cst.Name):
        return {1: 1} if e.value == var else None
    if isinstance(e, cst.Integer):
        return {0: int(e.evaluated_value)}
    if isinstance(e, cst.UnaryOperation):
        inner = poly_of(e.expression, var)
        if inner is None:
            return None
        if isinstance(e.operator, cst.Minus):
            return {k: -v for k, v in inner.items()}
        return inner if isinstance(e.operator, cst.Plus) else None
    if isinstance(e, cst.BinaryOperation):
        if isinstance(e.operator, cst.Power):
            base = poly_of(e.left, var)
            if base is None or not isinstance(e.right, cst.Integer):
                return None
            exp = int(e.right.evaluated_value)
            if not 0 <= exp <= MAX_DEGREE:
                return None
            out: Poly | None = {0: 1}
            for _ in range(exp):
                out = _mul(out, base)  # type: ignore[arg-type]
                if out is None:
                    return None
            return out
        left, right = poly_of(e.left, var), poly_of(e.right, var)
        if left is None or right is None:
            return None
        if isinstance(e.operator, cst.Add):
            return _add(left, right, 1)
        if isinstance(e.operator, cst.Subtract):
            return _add(left, right, -1)
        if isinstance(e.operator, cst.Multiply):
            return _mul(left, right)
    return None


def _add(a: Poly, b: Poly, sign: int) -> Poly:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + sign * v
    return {k: v for k, v in out.items() if v}


def _mul(a: Poly, b: Poly) -> Poly | None:
    out: Poly = {}
    for ka, va in a.items():
        for kb, vb in b.items():
            if ka + kb > MAX_DEGREE:
                return None
            out[ka + kb] = out.get(ka + kb, 0) + va * vb
    return {k: v for k, v in out.items() if v}


def range_bounds(ctx: ModuleContext, e: cst.BaseExpression) -> tuple[str, str] | None:
    """``range(hi)`` / ``range(lo, hi)`` / ``range(lo, hi, 1)`` -> (lo, hi) source, when the
    bounds are side-effect free (they are evaluated more than once by the formula)."""
    if not (
        isinstance(e, cst.Call)
        and u.called_name(e) == "range"
        and u.builtin_available(ctx, "range")
        and 1 <= len(e.args) <= 3
        and all(a.star == "" and a.keyword is None for a in e.args)
    ):
        return None
    args = [a.value for a in e.args]
    if len(args) == 3 and not (isinstance(args[2], cst.Integer) and args[2].value == "1"):
        return None
    if not all(_simple(ctx, a) for a in args[:2]):
        return None
    if len(args) == 1:
        return "0", _atom(ctx, args[0])
    return _atom(ctx, args[0]), _atom(ctx, args[1])


def _simple(ctx: ModuleContext, e: cst.BaseExpression) -> bool:
    if isinstance(e, cst.Name | cst.Integer):
        return True
    if isinstance(e, cst.Call):
        return (
            u.called_name(e) == "len"
            and u.builtin_available(ctx, "len")
            and len(e.args) == 1
            and isinstance(e.args[0].value, cst.Name)
        )
    if isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Minus):
        return _simple(ctx, e.expression)
    if isinstance(e, cst.BinaryOperation) and isinstance(
        e.operator, cst.Add | cst.Subtract | cst.Multiply | cst.FloorDivide
    ):
        return _simple(ctx, e.left) and _simple(ctx, e.right)
    return False


def _atom(ctx: ModuleContext, e: cst.BaseExpression) -> str:
    code = ctx.code(e).strip()
    if isinstance(e, cst.Name | cst.Integer | cst.Call) or (e.lpar and e.rpar):
        return code
    return f"({code})"


def certainly_int(ctx: ModuleContext, func: cst.FunctionDef, code: str) -> bool:
    """The bound ``code`` is an int: built from literals, ``len(...)`` and parameters
    annotated ``int`` (for these, ``range`` accepts exactly what the formula computes with)."""
    try:
        e = cst.parse_expression(code)
    except cst.ParserSyntaxError:
        return False
    lens = [c for c in u.walk(e) if isinstance(c, cst.Call) and u.called_name(c) == "len"]
    ok = {id(c.func) for c in lens} | {id(c.args[0].value) for c in lens}
    return all(
        id(n) in ok or _int_param(ctx, func, n.value)
        for n in u.walk(e)
        if isinstance(n, cst.Name)
    )


def _int_param(ctx: ModuleContext, func: cst.FunctionDef, name: str) -> bool:
    return any(
        p.name.value == name and u.annotation_text(ctx, p) == "int" for p in u.params_of(func)
    )


def nonnegative(code: str) -> bool:
    """Certainly >= 0: a non-negative literal or ``len(...)``."""
    try:
        e = cst.parse_expression(code)
    except cst.ParserSyntaxError:
        return False
    while e.lpar and isinstance(e, cst.BaseExpression):
        e = e.with_changes(lpar=[], rpar=[])
    if isinstance(e, cst.Integer):
        return True
    return isinstance(e, cst.Call) and u.called_name(e) == "len"


_S = {
    0: "{x}",
    1: "{x} * ({x} - 1) // 2",
    2: "({x} - 1) * {x} * (2 * {x} - 1) // 6",
    3: "({x} * ({x} - 1) // 2) ** 2",
}


def closed_form(poly: Poly, lo: str, hi: str) -> str:
    """Source of an expression equal to ``sum(P(i) for i in range(lo, hi))``."""
    terms = []
    for k in sorted(poly):
        c = poly[k]
        if lo == "0":
            diff = _S[k].format(x=hi)
            if k == 0:
                diff = hi
        else:
            diff = f"{_S[k].format(x=hi)} - {_S[k].format(x=lo)}"
            if k == 0:
                diff = f"{hi} - {lo}"
        if c == 1:
            terms.append(diff if len(poly) == 1 else f"({diff})")
        elif c == -1:
            terms.append(f"-({diff})")
        else:
            terms.append(f"{c} * ({diff})")
    body = " + ".join(terms) if terms else "0"
    body = body.replace("+ -", "- ")
    lo_lit, hi_lit = _literal(lo), _literal(hi)
    if lo_lit is not None and hi_lit is not None:
        return body if hi_lit > lo_lit else "0"
    if lo == "0" and nonnegative(hi):
        return body
    cond = f"{hi} > 0" if lo == "0" else f"{hi} > {lo}"
    return f"{body} if {cond} else 0"


def _literal(code: str) -> int | None:
    try:
        return int(code.strip("()").replace(" ", ""))
    except ValueError:
        return None
