"""VXR023 - iterate over the items instead of ``range(len(xs))`` and ``xs[i]``.

``for i in range(len(xs)): ... xs[i] ...`` pays an index lookup (and a range object) per
access where iteration hands over each item directly. When the index is needed for
something else too, ``enumerate`` provides both.

Fires on ``for i in range(len(xs))`` without ``else`` whose body reads ``xs[i]`` at least
once, never assigns to ``xs`` or its items and never rebinds ``i``, when ``i`` is not read
after the loop. Each ``xs[i]`` becomes the item variable; other uses of ``i`` keep it
through ``enumerate``. Not fired when ``xs`` is known to be a mapping or set; marked for
verification when its kind is unknown (iterating a mapping yields keys, not ``xs[i]``).

Bad::

    def weighted_total(prices: list[float], qty: int) -> float:
        total = 0.0
        for i in range(len(prices)):
            total += prices[i] * qty
        return total

Good::

    def weighted_total(prices: list[float], qty: int) -> float:
        total = 0.0
        for price in prices:
            total += price * qty
        return total
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


class RangeLenIteration(Rule):
    id = "VXR023"
    name = "range_len_iteration"
    action_type = "loop_optimization"
    detector_ids = ("VX125",)
    description = "Iterate over the items (or enumerate) instead of indexing by range(len())."
    reasoning = (
        "Indexing xs[i] on every iteration adds a lookup per access; iterating hands the "
        "items over directly."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        if not all(u.builtin_available(ctx, b) for b in ("range", "len", "enumerate")):
            return None
        edits: dict[cst.CSTNode, u.Edit] = {}
        why: list[str] = []
        done: list[str] = []
        for loop in u.walk(unit.node):
            if not isinstance(loop, cst.For) or loop.orelse is not None or loop.asynchronous:
                continue
            func = u.enclosing_scope(ctx, loop)
            if not isinstance(func, cst.FunctionDef) or not isinstance(loop.target, cst.Name):
                continue
            xs = _range_len_of(loop.iter)
            if xs is None:
                continue
            i = loop.target.value
            kind, _ = u.local_kind(ctx, func, xs)
            if kind in ("mapping", "set"):
                continue
            if i in u.bound_names(ctx, loop.body) or not u.invariant_in(ctx, loop.body, xs):
                continue
            if not u.dead_outside(ctx, func, [loop], [i]):
                continue
            occs = u.var_names(ctx, loop.body, i)
            if any(not u.in_scope(ctx, o, func) for o in occs):
                continue
            reads = [o for o in occs if _is_item_read(ctx, o, xs)]
            if not reads:
                continue
            item = ctx.fresh_local(unit.node, _singular(xs))
            for o in reads:
                edits[ctx.parents[ctx.parents[ctx.parents[o]]]] = u.replace_with(cst.Name(item))  # type: ignore[index]
            if len(reads) == len(occs):
                header = f"for {item} in {xs}"
            else:
                header = f"for {i}, {item} in enumerate({xs})"
            target, it = _header_parts(header)
            edits[loop] = lambda upd, t=target, it=it: upd.with_changes(target=t, iter=it)
            if kind == "unknown":
                why.append(f"{xs} may not be a sequence (iterating a mapping yields keys)")
            done.append(xs)
        return u.finish(
            unit.node,
            edits,
            f"iterate over {', '.join(done)} directly instead of range(len())",
            why,
        )


def _range_len_of(e: cst.BaseExpression) -> str | None:
    if not (isinstance(e, cst.Call) and u.called_name(e) == "range" and len(e.args) == 1):
        return None
    inner = e.args[0].value
    if (
        isinstance(inner, cst.Call)
        and u.called_name(inner) == "len"
        and len(inner.args) == 1
        and isinstance(inner.args[0].value, cst.Name)
        and not e.args[0].keyword
        and not inner.args[0].star
    ):
        return inner.args[0].value.value
    return None


def _is_item_read(ctx: ModuleContext, occ: cst.Name, xs: str) -> bool:
    """``occ`` is the ``i`` of a loaded ``xs[i]``."""
    idx = ctx.parents.get(occ)
    el = ctx.parents.get(idx) if isinstance(idx, cst.Index) else None
    sub = ctx.parents.get(el) if isinstance(el, cst.SubscriptElement) else None
    return (
        isinstance(sub, cst.Subscript)
        and len(sub.slice) == 1
        and u.is_name(sub.value, xs)
        and ctx.expr_ctx.get(sub) is not None
        and not u.is_store(ctx, sub)  # type: ignore[arg-type]
    )


def _singular(name: str) -> str:
    if name.endswith("ies") and len(name) > 3:
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss") and len(name) > 1:
        return name[:-1]
    return f"{name}_item"


def _header_parts(header: str) -> tuple[cst.BaseAssignTargetExpression, cst.BaseExpression]:
    loop = cst.parse_statement(f"{header}:\n    pass\n")
    assert isinstance(loop, cst.For)
    return loop.target, loop.iter
