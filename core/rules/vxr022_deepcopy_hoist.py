"""VXR022 - make a deep copy that a loop only reads once, before the loop.

``cfg = copy.deepcopy(DEFAULTS)`` at the top of a loop body copies the whole structure on
every iteration. When the loop never changes ``DEFAULTS`` and only *reads* the copy
(subscripts and attributes feeding comparisons, arithmetic, f-strings, scalar builtins),
one copy made before the loop is indistinguishable from a fresh one per iteration.

Fires on ``NAME = copy.deepcopy(SRC)`` / ``deepcopy(SRC)`` as a statement directly in a
loop's body, where ``NAME`` is bound nowhere else in the function and is used only inside
that loop, in read-only positions that never hand out a reference into the copy, and
``SRC`` is a name the loop neither rebinds nor uses other than read-only. Marked for
verification when the loop calls code that might mutate ``SRC`` through an alias.

Bad::

    import copy

    def price_all(orders: list[dict], defaults: dict) -> list[float]:
        out = []
        for order in orders:
            cfg = copy.deepcopy(defaults)
            out.append(order["qty"] * cfg["unit_price"] * (1 - cfg["discount"]))
        return out

Good::

    import copy

    def price_all(orders: list[dict], defaults: dict) -> list[float]:
        out = []
        cfg = copy.deepcopy(defaults)
        for order in orders:
            out.append(order["qty"] * cfg["unit_price"] * (1 - cfg["discount"]))
        return out
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule

_SCALAR_BUILTINS = frozenset(
    {"len", "str", "int", "float", "bool", "abs", "round", "repr", "hash", "isinstance",
     "sum", "min", "max", "any", "all", "format"}
)  # fmt: skip
_SCALAR_METHODS = u.READONLY_METHODS - {"get", "copy", "keys", "values", "items", "split",
                                         "rsplit", "splitlines", "partition", "rpartition",
                                         "most_common", "elements", "union", "intersection",
                                         "difference", "symmetric_difference"}  # fmt: skip


class DeepcopyHoist(Rule):
    id = "VXR022"
    name = "deepcopy_hoist"
    action_type = "copy_reduction"
    detector_ids = ("VX118",)
    description = "Make a deep copy that the loop only reads once, before the loop."
    reasoning = (
        "deepcopy walks and duplicates the whole structure on every iteration; when the "
        "copy is only read and its source never changes, one copy serves all iterations."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        deep = _deepcopy_spellings(ctx)
        if not deep:
            return None
        edits: dict[cst.CSTNode, u.Edit] = {}
        why: list[str] = []
        names: list[str] = []
        for loop in u.walk(unit.node):
            if not isinstance(loop, cst.For | cst.While):
                continue
            func = u.enclosing_scope(ctx, loop)
            body = u.block_body(loop.body)
            if not isinstance(func, cst.FunctionDef) or body is None or len(body) < 2:
                continue
            if not isinstance(ctx.parents.get(loop), cst.IndentedBlock):
                continue
            for stmt in body:
                a = u.single_assign(stmt)
                if a is None:
                    continue
                name, value = a
                if not (
                    isinstance(value, cst.Call)
                    and ctx.code(value.func).replace(" ", "") in deep
                    and len(value.args) == 1
                    and not value.args[0].keyword
                    and not value.args[0].star
                    and isinstance(value.args[0].value, cst.Name)
                ):
                    continue
                src = value.args[0].value.value
                if not self._ok(ctx, func, loop, stmt, name, src, value.args[0].value):
                    continue
                if u.calls_that_may_mutate(ctx, func, loop, src, exclude=stmt):
                    why.append(f"the loop calls code that might mutate {src}")
                edits[stmt] = u.remove()
                edits[loop] = u.insert_before(stmt.with_changes(leading_lines=[]))
                names.append(name)
                break
        return u.finish(
            unit.node,
            edits,
            f"deep-copy {', '.join(names)} once, before the loop",
            why,
        )

    def _ok(  # type: ignore[no-untyped-def]
        self, ctx: ModuleContext, func, loop, stmt, name: str, src: str, src_arg: cst.Name
    ) -> bool:
        if src in u.bound_names(ctx, loop) or name == src:
            return False
        if not all(
            u.readonly_use(ctx, n) for n in u.var_names(ctx, loop, src) if n is not src_arg
        ):
            return False
        occs = u.var_names(ctx, func.body, name)
        for occ in occs:
            if u.contains(stmt, occ):
                continue
            if not u.contains(loop, occ) or not u.in_scope(ctx, occ, func):
                return False
            if u.is_store(ctx, occ) or not _deep_read(ctx, occ):
                return False
        return True


def _deepcopy_spellings(ctx: ModuleContext) -> set[str]:
    out = set()
    if "copy" in ctx.module_imports:
        out.add(f"{ctx.module_imports['copy']}.deepcopy")
    if ("copy", "deepcopy") in ctx.from_imports:
        out.add(ctx.from_imports[("copy", "deepcopy")])
    return out


def _deep_read(ctx: ModuleContext, occ: cst.Name) -> bool:
    """The value reached from ``occ`` through subscripts/attributes is consumed where no
    reference into the copy survives and nothing can mutate it."""
    node: cst.CSTNode = occ
    while True:
        p = ctx.parents.get(node)
        if isinstance(p, cst.Subscript | cst.Attribute) and p.value is node:
            if ctx.expr_ctx.get(p) is not None and ctx.expr_ctx.get(p) != ctx.expr_ctx.get(occ):
                return False  # a store or del into the copy
            gp = ctx.parents.get(p)
            if isinstance(p, cst.Attribute) and isinstance(gp, cst.Call) and gp.func is p:
                if p.attr.value == "get":
                    node = gp
                    continue
                return p.attr.value in _SCALAR_METHODS
            node = p
            continue
        break
    if isinstance(p, cst.ComparisonTarget | cst.Comparison | cst.BinaryOperation):
        return True
    if isinstance(p, cst.UnaryOperation | cst.FormattedStringExpression):
        return True
    if isinstance(p, cst.If | cst.While) and p.test is node:
        return True
    if isinstance(p, cst.Arg) and p.keyword is None and not p.star:
        call = ctx.parents.get(p)
        return isinstance(call, cst.Call) and u.called_name(call) in _SCALAR_BUILTINS
    return False
