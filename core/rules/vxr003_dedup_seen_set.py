"""VXR003 - keep a companion set when deduplicating into a list.

The order-preserving dedup ``if x not in out: out.append(x)`` scans ``out`` on every item:
quadratic. A set that mirrors ``out`` answers the membership test in O(1) while ``out``
keeps its order and stays the value the function returns.

Fires when a list is created empty (``out = []``) and the next statement that mentions it
is a loop in which ``out`` is only ever membership-tested (``in`` / ``not in``) and appended
to with ``out.append(x)`` as a statement. The set starts empty beside the list, every
append is mirrored by an ``add``, and every membership test goes to the set. Marked for
verification unless the appended items are known to be hashable (they are the loop
variable over a parameter annotated ``list[str]``, ``list[int]``...). Does not fire where
the list is the fallback for unhashable values (tested inside ``except TypeError``).

Bad::

    def unique_skus(rows: list[str]) -> list[str]:
        unique = []
        for sku in rows:
            if sku not in unique:
                unique.append(sku)
        return unique

Good::

    def unique_skus(rows: list[str]) -> list[str]:
        unique = []
        unique_seen = set()
        for sku in rows:
            if sku not in unique_seen:
                unique.append(sku)
                unique_seen.add(sku)
        return unique
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


class DedupSeenSet(Rule):
    id = "VXR003"
    name = "dedup_seen_set"
    action_type = "data_structure_optimization"
    detector_ids = ("VX101",)
    description = "Mirror a deduplicated list with a set for O(1) membership tests."
    reasoning = (
        "`x not in out` scans the growing result list on every item (quadratic); a set "
        "kept beside the list makes each test O(1) and the list keeps its order."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        if not u.builtin_available(ctx, "set"):
            return None
        edits: dict[cst.CSTNode, u.Edit] = {}
        names: list[str] = []
        unproven: list[str] = []
        for func, body, i, s0, init, value in u.init_sites(ctx, unit.node):
            if not (isinstance(value, cst.List) and not value.elements):
                continue
            loop = u.first_mention_after(ctx, body, i, init)
            if not isinstance(loop, cst.For | cst.While):
                continue
            site = self._check(ctx, func, loop, init)
            if site is None:
                continue
            tests, appends, why = site
            seen = ctx.fresh_local(unit.node, f"{init}_seen")
            edits[s0] = u.insert_after(u.stmt(f"{seen} = set()"))
            for t in tests:
                edits[t] = u.replace_with(cst.Name(seen))
            for small, line, item in appends:
                add = cst.Expr(u.expr(f"{seen}.add({ctx.code(item)})"))
                if line is not None:
                    edits[line] = u.insert_after(cst.SimpleStatementLine(body=[add]))
                else:
                    edits[small] = lambda upd, a=add: cst.FlattenSentinel([upd, a])
            names.append(init)
            unproven.extend(why)
        return u.finish(
            unit.node,
            edits,
            f"dedup into {', '.join(names)} tests a companion set",
            unproven,
        )

    def _check(  # type: ignore[no-untyped-def]
        self, ctx: ModuleContext, func: cst.FunctionDef, loop: cst.CSTNode, name: str
    ):
        tests: list[cst.Name] = []
        appends = []
        why: list[str] = []
        for occ in u.var_names(ctx, loop, name):
            if not u.in_scope(ctx, occ, func):
                return None
            p = ctx.parents.get(occ)
            if (
                isinstance(p, cst.ComparisonTarget)
                and p.comparator is occ
                and isinstance(p.operator, cst.In | cst.NotIn)
                and len(ctx.parents[p].comparisons) == 1  # type: ignore[union-attr]
            ):
                tests.append(occ)
                continue
            call = ctx.parents.get(p) if isinstance(p, cst.Attribute) else None
            small = ctx.parents.get(call) if isinstance(call, cst.Call) else None
            if (
                isinstance(p, cst.Attribute)
                and p.attr.value == "append"
                and isinstance(call, cst.Call)
                and len(call.args) == 1
                and call.args[0].star == ""
                and call.args[0].keyword is None
                and isinstance(small, cst.Expr)
            ):
                item = call.args[0].value
                if not isinstance(item, cst.Name) or u.var_names(ctx, item, name):
                    return None
                line = ctx.parents.get(small)
                if not (
                    isinstance(line, cst.SimpleStatementLine)
                    and len(line.body) == 1
                    and isinstance(ctx.parents.get(line), cst.IndentedBlock)
                ):
                    line = None
                appends.append((small, line, item))
                if not _hashable_item(ctx, func, item.value):
                    why.append(f"{item.value} may be unhashable")
                continue
            return None
        if not tests or not appends:
            return None
        if any(_in_type_error_handler(ctx, t, func) for t in tests):
            return None  # the list is the fallback for values a set cannot hold
        appended = {item.value for _s, _l, item in appends}
        for t in tests:
            left = ctx.parents[ctx.parents[t]].left  # type: ignore[union-attr]
            if not (isinstance(left, cst.Name) and left.value in appended):
                why.append(f"the tested value {ctx.code(left)} may be unhashable")
        return tests, appends, why


def _hashable_item(ctx: ModuleContext, func: cst.FunctionDef, name: str) -> bool:
    """``name`` is the target of a for loop over a parameter known to hold hashable items."""
    for n in u.walk(func.body):
        if isinstance(n, cst.For) and u.is_name(n.target, name) and isinstance(n.iter, cst.Name):
            kind, elem = u.local_kind(ctx, func, n.iter.value)
            return kind == "list" and elem == "hashable"
    return False


def _in_type_error_handler(ctx: ModuleContext, node: cst.CSTNode, func: cst.FunctionDef) -> bool:
    """``node`` runs in an ``except`` that catches ``TypeError`` (or everything): the usual
    ``try: x in seen_set ... except TypeError: x in seen_list`` for unhashable values
    (more-itertools ``unique_everseen``), where a set would raise again."""
    for a in u.ancestors(ctx, node):
        if a is func:
            return False
        if isinstance(a, cst.ExceptHandler):
            if a.type is None:
                return True
            caught = [a.type] if not isinstance(a.type, cst.Tuple) else [
                e.value for e in a.type.elements]
            if any(isinstance(c, cst.Name) and c.value in {"TypeError", "Exception",
                                                           "BaseException"} for c in caught):
                return True
    return False
