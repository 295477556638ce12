"""Closed forms of sums over ``range``, shared by VX126 and VX127."""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call
from core.analysis.facts import const_int


def power_of(term: ast.AST, var: str) -> tuple[int, str] | None:
    """``(p, text)`` when ``term`` is ``var`` (p=1), ``var*var``/``var**2`` (2), ``var**3``
    (3), a constant (0) or ``c*var`` / ``var*c`` (1, scaled)."""
    if isinstance(term, ast.Name) and term.id == var:
        return 1, "i"
    if const_int(term) is not None:
        return 0, "c"
    if isinstance(term, ast.BinOp):
        left, right = term.left, term.right
        lname = isinstance(left, ast.Name) and left.id == var
        rname = isinstance(right, ast.Name) and right.id == var
        if isinstance(term.op, ast.Mult):
            if lname and rname:
                return 2, "i*i"
            if (lname and const_int(right) is not None) or (rname and const_int(left) is not None):
                return 1, "c*i"
        if isinstance(term.op, ast.Pow) and lname and const_int(right) in (2, 3):
            p = const_int(right)
            return p, f"i**{p}"  # type: ignore[return-value]
    return None


FORMULAS = {
    0: "c * n",
    1: "n * (n - 1) // 2  (for range(n))",
    2: "(n - 1) * n * (2 * n - 1) // 6  (for range(n))",
    3: "((n - 1) * n // 2) ** 2  (for range(n))",
}


def simple_range(node: ast.AST, ctx: AnalysisContext) -> bool:
    """``range(n)`` or ``range(a, b)``: step 1."""
    return bool(builtin_call(node, ctx, "range")) and 1 <= len(node.args) <= 2 and not any(  # type: ignore[attr-defined]
        isinstance(a, ast.Starred) for a in node.args  # type: ignore[attr-defined]
    )
