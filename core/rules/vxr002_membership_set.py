"""VXR002 - build a set once for membership tests on a list inside a loop.

``x in some_list`` scans the list: inside a loop that is quadratic. When the list does not
change during the loop, a set built once before the loop answers each test in O(1).

Fires on ``x in ys`` / ``x not in ys`` inside a loop (for, while or comprehension) of the
same function, where ``ys`` is a local or parameter known or suspected to be a list or
tuple, never rebound inside the region hoisted out of and only read there. The set is
built right before the outermost such loop. Marked for verification when ``ys``'s
elements are not known to be hashable (an unannotated parameter, a list of unknown
items), or when the loop calls functions that might mutate a list that escaped.
Not fired when ``ys`` is known to be a str (substring test), a set or a mapping.

Bad::

    def unknown_skus(orders: list[str], catalog: list[str]) -> list[str]:
        missing = []
        for sku in orders:
            if sku not in catalog:
                missing.append(sku)
        return missing

Good::

    def unknown_skus(orders: list[str], catalog: list[str]) -> list[str]:
        missing = []
        catalog_set = set(catalog)
        for sku in orders:
            if sku not in catalog_set:
                missing.append(sku)
        return missing
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


class MembershipSet(Rule):
    id = "VXR002"
    name = "membership_set"
    action_type = "data_structure_optimization"
    detector_ids = ("VX101",)
    description = "Test membership against a set built once instead of scanning a list."
    reasoning = (
        "Each `in` on a list is a linear scan, so a membership test inside a loop makes the "
        "loop quadratic; hashing into a set built once is O(1) per test."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        if not u.builtin_available(ctx, "set"):
            return None
        # (function, name, insertion statement) -> comparison targets to rename
        groups: dict[tuple[cst.FunctionDef, str, cst.BaseStatement], list[cst.Name]] = {}
        unproven: list[str] = []
        for func in u.function_scopes(unit.node):
            for node in u.walk(func.body):
                if not isinstance(node, cst.ComparisonTarget):
                    continue
                if not isinstance(node.operator, cst.In | cst.NotIn):
                    continue
                ys = node.comparator
                if not isinstance(ys, cst.Name) or not u.in_scope(ctx, node, func):
                    continue
                site = self._site(ctx, func, node, ys.value)
                if site is None:
                    continue
                stmt, why = site
                groups.setdefault((func, ys.value, stmt), []).append(ys)
                unproven.extend(why)
        if not groups:
            return None
        edits: dict[cst.CSTNode, u.Edit] = {}
        inserts: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
        done = []
        for (_func, name, stmt), targets in groups.items():
            set_name = ctx.fresh_local(unit.node, f"{name}_set")
            inserts.setdefault(stmt, []).append(u.stmt(f"{set_name} = set({name})"))
            for t in targets:
                edits[t] = u.replace_with(cst.Name(set_name))
            done.append(name)
        for stmt, new in inserts.items():
            edits[stmt] = u.insert_before(*new)
        return Rewrite(
            new_node=u.apply_edits(unit.node, edits),
            summary=f"membership tests on {', '.join(dict.fromkeys(done))} use a set built once",
            needs_verification=bool(unproven),
            unproven="; ".join(dict.fromkeys(unproven)),
        )

    def _site(
        self, ctx: ModuleContext, func: cst.FunctionDef, cmp: cst.ComparisonTarget, name: str
    ) -> tuple[cst.BaseStatement, list[str]] | None:
        kind, detail = u.local_kind(ctx, func, name)
        if kind in ("str", "set", "mapping", "object") or u.constant_display(ctx, func, name):
            return None
        why: list[str] = []
        if kind == "unknown":
            if name not in u.param_names(func):
                return None  # a local of unknown kind: could be a str or a generator
            why.append(f"{detail}; it may not be a list of hashable items")
        elif detail != "hashable":
            why.append(f"the items of {name} may be unhashable")
        best = u.hoist_point(ctx, func, cmp, [name])
        if best is None:
            return None
        if u.calls_that_may_mutate(ctx, func, best, name):
            why.append(f"the loop calls code that might mutate {name}")
        return best, why
