"""VXR018 - append in place instead of ``x = x + [y]`` in a loop.

``x = x + [y]`` builds a brand-new list (copying all of ``x``) on every iteration, so the
loop is quadratic; ``x.append(y)`` is amortised O(1). ``x = x + [a, b]`` becomes
``x.extend([a, b])`` and ``x += [y]`` becomes ``x.append(y)``.

In-place mutation is only invisible when nobody else holds the list. The rule fires only
for a local whose every binding is a freshly built list (a display, comprehension,
``list(...)``, ``sorted(...)``, or the concatenation itself), and whose every other use is
read-only or a final ``return``: never passed to a call, stored in a container, aliased
to another name or yielded. Parameters never qualify (the caller holds them).

Bad::

    def running_totals(values: list[int]) -> list[int]:
        totals = []
        acc = 0
        for v in values:
            acc += v
            totals = totals + [acc]
        return totals

Good::

    def running_totals(values: list[int]) -> list[int]:
        totals = []
        acc = 0
        for v in values:
            acc += v
            totals.append(acc)
        return totals
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


class ListConcatAppend(Rule):
    id = "VXR018"
    name = "list_concat_append"
    action_type = "copy_reduction"
    detector_ids = ("VX113",)
    description = "Append in place instead of rebuilding the list with x = x + [y]."
    reasoning = (
        "x = x + [y] copies the whole list on every iteration (quadratic); append/extend "
        "grow it in place in amortised O(1) per item."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        names: list[str] = []
        for func in u.function_scopes(unit.node):
            for name in sorted(u.bound_names(ctx, func.body)):
                sites = _sites(ctx, func, name)
                if not sites:
                    continue
                for small, items in sites:
                    if len(items.elements) == 1:
                        code = f"{name}.append({ctx.code(items.elements[0].value).strip()})"
                    else:
                        code = f"{name}.extend({ctx.code(items).strip()})"
                    edits[small] = u.replace_with(cst.Expr(u.expr(code)))
                names.append(name)
        return u.finish(unit.node, edits, f"grow {', '.join(names)} in place instead of copying it")


def _sites(ctx: ModuleContext, func: cst.FunctionDef, name: str):  # type: ignore[no-untyped-def]
    """[(statement to replace, list display appended)] when every use qualifies."""
    if name in u.param_names(func):
        return None
    sites = []
    in_loop = False
    claimed: set[int] = set()
    for occ in u.var_names(ctx, func.body, name):
        if id(occ) in claimed:
            continue
        if not u.in_scope(ctx, occ, func):
            return None
        p = ctx.parents.get(occ)
        if u.is_store(ctx, occ):
            if isinstance(p, cst.AugAssign) and p.target is occ:
                if not isinstance(p.operator, cst.AddAssign) or not isinstance(p.value, cst.List):
                    return None
                if not _plain(ctx, p.value, name):
                    return None
                sites.append((p, p.value))
                in_loop = in_loop or bool(u.loops_between(ctx, p, func))
                continue
            assign = ctx.parents.get(p) if isinstance(p, cst.AssignTarget) else None
            if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
                return None
            v = assign.value
            if (
                isinstance(v, cst.BinaryOperation)
                and isinstance(v.operator, cst.Add)
                and u.is_name(v.left, name)
                and isinstance(v.right, cst.List)
                and not v.lpar
                and _plain(ctx, v.right, name)
            ):
                claimed.add(id(v.left))
                sites.append((assign, v.right))
                in_loop = in_loop or bool(u.loops_between(ctx, assign, func))
                continue
            if not (isinstance(v, cst.List | cst.ListComp) or u.is_fresh_list(v)):
                return None
            continue
        if u.readonly_use(ctx, occ) or isinstance(p, cst.Return):
            continue
        return None
    return sites if sites and in_loop else None


def _plain(ctx: ModuleContext, items: cst.List, name: str) -> bool:
    """A list display whose items are plain (no ``*spread``) and do not read ``name``."""
    return all(isinstance(e, cst.Element) for e in items.elements) and not u.var_names(
        ctx, items, name
    )
