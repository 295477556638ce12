"""VXR004 - build a string with ``str.join`` instead of ``+=`` in a loop.

``s += piece`` copies the whole string built so far whenever CPython cannot resize it in
place, so building a long string in a loop can be quadratic; collecting the pieces in a
list and joining once is linear.

Fires when a variable is initialised to ``""`` and the next statement that mentions it is
a loop in which the variable only ever appears as ``s += piece`` or ``s = s + piece``
(pieces never read ``s``). The initialisation becomes an empty list, each ``+=`` an
``append``, and ``s = "".join(parts)`` follows the loop. Marked for verification when a
piece is not certainly a ``str`` (a non-str piece fails at the join instead of at the
``+=``, with another message).

Bad::

    def render(rows: list[tuple[str, int]]) -> str:
        out = ""
        for name, qty in rows:
            out += f"{name}: {qty}\\n"
        return out

Good::

    def render(rows: list[tuple[str, int]]) -> str:
        out_parts = []
        for name, qty in rows:
            out_parts.append(f"{name}: {qty}\\n")
        out = "".join(out_parts)
        return out
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule

_STR_METHODS = frozenset(
    {"join", "format", "upper", "lower", "strip", "lstrip", "rstrip", "title", "replace",
     "capitalize", "ljust", "rjust", "center", "zfill", "casefold", "removeprefix",
     "removesuffix", "expandtabs", "swapcase"}
)  # fmt: skip


class StringJoin(Rule):
    id = "VXR004"
    name = "string_join"
    action_type = "string_building"
    detector_ids = ("VX108",)
    description = "Collect string pieces in a list and join once instead of += in a loop."
    reasoning = (
        "Repeated `s += piece` may copy the growing string on every iteration (quadratic "
        "in the output size); appending to a list and one `str.join` is linear."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        names: list[str] = []
        unproven: list[str] = []
        for func, body, i, s0, name, value in u.init_sites(ctx, unit.node):
            if not _empty_str(value):
                continue
            loop = u.first_mention_after(ctx, body, i, name)
            if not isinstance(loop, cst.For | cst.While):
                continue
            if _captured(ctx, func, name):
                continue
            sites = self._sites(ctx, loop, name)
            if sites is None:
                continue
            parts = ctx.fresh_local(unit.node, f"{name}_parts")
            edits[s0.body[0]] = u.replace_with(u.small(f"{parts} = []"))  # type: ignore[attr-defined]
            for small, piece in sites:
                edits[small] = u.replace_with(
                    cst.Expr(u.expr(f"{parts}.append({ctx.code(piece)})"))
                )
                if not _certainly_str(piece):
                    unproven.append(f"piece {ctx.code(piece)} may not be a str")
            edits[loop] = u.insert_after(u.stmt(f'{name} = "".join({parts})'))
            names.append(name)
        return u.finish(
            unit.node,
            edits,
            f"build {', '.join(names)} with str.join instead of +=",
            unproven,
        )

    def _sites(
        self, ctx: ModuleContext, loop: cst.CSTNode, name: str
    ) -> list[tuple[cst.CSTNode, cst.BaseExpression]] | None:
        sites: list[tuple[cst.CSTNode, cst.BaseExpression]] = []
        claimed: set[int] = set()
        for occ in u.var_names(ctx, loop, name):
            if id(occ) in claimed:
                continue
            p = ctx.parents.get(occ)
            if (
                isinstance(p, cst.AugAssign)
                and p.target is occ
                and isinstance(p.operator, cst.AddAssign)
                and not u.var_names(ctx, p.value, name)
            ):
                sites.append((p, p.value))
                continue
            if isinstance(p, cst.AssignTarget):
                assign = ctx.parents.get(p)
                if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
                    return None
                piece = _rest_after(ctx, assign.value, name)
                if piece is None:
                    return None
                leftmost = _leftmost(assign.value)
                claimed.add(id(leftmost))
                sites.append((assign, piece))
                continue
            return None
        return sites or None


def _empty_str(e: cst.BaseExpression) -> bool:
    if isinstance(e, cst.SimpleString):
        return e.evaluated_value in ("", b"") and "b" not in e.prefix.lower()
    return isinstance(e, cst.Call) and u.called_name(e) == "str" and not e.args


def _leftmost(e: cst.BaseExpression) -> cst.BaseExpression:
    while isinstance(e, cst.BinaryOperation) and not e.lpar:
        e = e.left
    return e


def _rest_after(
    ctx: ModuleContext, value: cst.BaseExpression, name: str
) -> cst.BaseExpression | None:
    """For ``name + a + b`` (left-associated, unparenthesised) return ``a + b`` as an
    expression; None when ``value`` is not of that shape or reads ``name`` elsewhere."""
    operands: list[cst.BaseExpression] = []
    e = value
    while isinstance(e, cst.BinaryOperation) and isinstance(e.operator, cst.Add) and not e.lpar:
        operands.append(e.right)
        e = e.left
    if not u.is_name(e, name) or not operands:
        return None
    operands.reverse()
    if any(u.var_names(ctx, o, name) for o in operands):
        return None
    if len(operands) == 1:
        return operands[0]
    return u.expr(" + ".join(ctx.code(o) for o in operands))


def _certainly_str(e: cst.BaseExpression) -> bool:
    if isinstance(e, cst.SimpleString):
        return "b" not in e.prefix.lower()
    if isinstance(e, cst.FormattedString):
        return True
    if isinstance(e, cst.ConcatenatedString):
        return _certainly_str(e.left) and _certainly_str(e.right)  # type: ignore[arg-type]
    if isinstance(e, cst.Call):
        if u.called_name(e) in ("str", "repr", "format", "chr"):
            return True
        mc = u.method_call(e)
        if mc is not None and mc[1] in _STR_METHODS:
            return _certainly_str(mc[0])  # a str method on a str
    if isinstance(e, cst.BinaryOperation):
        if isinstance(e.operator, cst.Add):
            return _certainly_str(e.left) and _certainly_str(e.right)
        if isinstance(e.operator, cst.Modulo):
            return _certainly_str(e.left)
    return False


def _captured(ctx: ModuleContext, func: cst.FunctionDef, name: str) -> bool:
    """A nested function, lambda or class of ``func`` reads or writes ``name``."""
    return any(not u.in_scope(ctx, n, func) for n in u.var_names(ctx, func.body, name)) or any(
        isinstance(n, cst.Global | cst.Nonlocal) and any(i.name.value == name for i in n.names)
        for n in u.walk(func.body)
    )
