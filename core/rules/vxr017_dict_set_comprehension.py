"""VXR017 - turn a dict/set building loop into a dict/set comprehension.

``d = {}`` then ``for x in xs: d[k(x)] = v(x)`` (or ``s = set()`` then ``s.add(e(x))``)
does a store per iteration through generic subscript/method machinery; the comprehension
builds the same container with dedicated bytecodes. Later keys still win, insertion order
is kept.

Same shapes as VXR016 (nested ``for``/``if`` clauses, one statement at the bottom, loop
variables unused afterwards, not inside ``try``). For dicts, the statement evaluates the
value before the key while the comprehension evaluates the key first: when both could
raise (or have effects), i.e. neither is a plain name or literal, the candidate is marked
for verification.

Bad::

    def index_by_sku(items: list[dict[str, str]]) -> dict[str, dict[str, str]]:
        by_sku = {}
        for item in items:
            by_sku[item["sku"]] = item
        return by_sku

Good::

    def index_by_sku(items: list[dict[str, str]]) -> dict[str, dict[str, str]]:
        by_sku = {item["sku"]: item for item in items}
        return by_sku
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule
from core.rules.vxr016_list_comprehension import comprehension_site, render_clauses


class DictSetComprehension(Rule):
    id = "VXR017"
    name = "dict_set_comprehension"
    action_type = "comprehension_conversion"
    detector_ids = ("VX128",)
    description = "Build a dict or set with a comprehension instead of a loop."
    reasoning = (
        "The loop performs a subscript store or add() call per item; a dict/set "
        "comprehension builds the same container with dedicated bytecodes."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        names: list[str] = []
        why: list[str] = []
        for func, body, i, s0, acc, init in u.init_sites(ctx, unit.node):
            kind = _kind(ctx, init)
            if kind is None:
                continue
            site = comprehension_site(ctx, func, body, i, acc, edits)
            if site is None:
                continue
            loop, clauses, small = site
            elt = _element(ctx, small, acc, kind)
            if elt is None:
                continue
            if kind == "dict":
                k, v = elt
                if _may_raise(k) and _may_raise(v):
                    why.append("the key is now evaluated before the value (which may raise)")
                inner = f"{ctx.code(k).strip()}: {ctx.code(v).strip()}"
            else:
                inner = ctx.code(elt).strip()  # type: ignore[arg-type]
            code = f"{acc} = {{{inner} {render_clauses(ctx, clauses)}}}"
            u.collapse(edits, s0, loop, code)
            names.append(acc)
        return u.finish(unit.node, edits, f"build {', '.join(names)} with a comprehension", why)


def _may_raise(e: cst.BaseExpression) -> bool:
    """Anything but a name or a literal may raise (or have effects) when evaluated."""
    return not isinstance(e, cst.Name | cst.SimpleString | cst.Integer | cst.Float)


def _kind(ctx: ModuleContext, init: cst.BaseExpression) -> str | None:
    if isinstance(init, cst.Dict) and not init.elements:
        return "dict"
    if (
        isinstance(init, cst.Call)
        and u.called_name(init) in ("dict", "set")
        and not init.args
        and u.builtin_available(ctx, u.called_name(init) or "")
    ):
        return u.called_name(init)
    return None


def _element(ctx: ModuleContext, small: cst.BaseSmallStatement, acc: str, kind: str):  # type: ignore[no-untyped-def]
    if kind == "dict":
        if not (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Subscript)
        ):
            return None
        sub = small.targets[0].target
        if not u.is_name(sub.value, acc) or len(sub.slice) != 1:
            return None
        if not isinstance(sub.slice[0].slice, cst.Index) or sub.slice[0].slice.star:
            return None
        key, value = sub.slice[0].slice.value, small.value
        parts = (key, value)
    else:
        if not isinstance(small, cst.Expr):
            return None
        mc = u.method_call(small.value)
        call = small.value
        if mc is None or not u.is_name(mc[0], acc) or mc[1] != "add":
            return None
        assert isinstance(call, cst.Call)
        if len(call.args) != 1 or call.args[0].keyword or call.args[0].star:
            return None
        parts = (call.args[0].value,)
    for p in parts:
        if u.var_names(ctx, p, acc) or any(
            isinstance(n, cst.NamedExpr | cst.Yield | cst.Await) for n in u.walk(p)
        ):
            return None
    return parts if kind == "dict" else parts[0]
