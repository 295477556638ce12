"""VXR028 - add a whole iterable with one ``extend``/``update`` call instead of a loop.

``for x in new: items.append(x)`` makes one interpreted method call per item;
``items.extend(new)`` (``set.update``, ``dict.update``) does the same work in C.

Fires on a ``for`` loop without ``else`` whose body is only ``acc.append(x)`` or
``acc.add(x)`` with ``x`` exactly the loop variable, or ``acc[k] = v`` looping over
``D.items()`` with ``k, v`` exactly the loop targets; the loop variables must not be read
after the loop. Items are added in the same order, and an iterable that fails half-way
leaves the same items added. Proven when ``acc`` is a local list/set/dict built in the
function that never escapes (so it cannot be the iterable itself, and has the method);
otherwise marked for verification. For ``dict.update`` the source must also be known to
be a mapping.

Bad::

    def collect(batches: list[list[int]]) -> list[int]:
        items = []
        for batch in batches:
            for x in batch:
                items.append(x)
        return items

Good::

    def collect(batches: list[list[int]]) -> list[int]:
        items = []
        for batch in batches:
            items.extend(batch)
        return items
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule

_BATCH = {"append": "extend", "add": "update"}


class BatchAdd(Rule):
    id = "VXR028"
    name = "batch_add"
    action_type = "batch_operations"
    detector_ids = ("VX138",)
    description = "Add a whole iterable with extend()/update() instead of a per-item loop."
    reasoning = (
        "The loop makes one interpreted method call per item; extend()/update() add the "
        "same items in the same order in one call, in C."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        why: list[str] = []
        done: list[str] = []
        for loop in u.walk(unit.node):
            if not isinstance(loop, cst.For) or loop.orelse is not None or loop.asynchronous:
                continue
            func = u.enclosing_scope(ctx, loop)
            body = u.block_body(loop.body)
            if not isinstance(func, cst.FunctionDef) or body is None or len(body) != 1:
                continue
            small = u.only_small(body[0])
            found = _batch_call(ctx, loop, small)
            if found is None:
                continue
            acc, code, need_mapping = found
            if acc in u.target_names(loop.target) or u.var_names(ctx, loop.iter, acc):
                continue
            if not u.dead_outside(ctx, func, [loop], sorted(u.target_names(loop.target))):
                continue
            kind, _ = u.local_kind(ctx, func, acc)
            if kind in ("object", "str"):
                continue  # self.add(x) inside a collection class may be the method itself
            if not (u.private_local(ctx, func, acc) and kind in ("list", "set", "mapping")):
                why.append(f"{acc} may alias the iterable or lack {code.split('(')[0]}()")
            if need_mapping is not None:
                src_kind, _ = u.local_kind(ctx, func, need_mapping)
                if src_kind != "mapping":
                    why.append(f"{need_mapping} is not known to be a dict")
            new = u.stmt(code).with_changes(
                leading_lines=[*loop.leading_lines, *u.comments_in(loop.with_changes(
                    leading_lines=[]))]  # fmt: skip
            )
            edits[loop] = u.replace_with(new)
            done.append(code)
        return u.finish(unit.node, edits, f"add in one call: {'; '.join(done)}", why)


def _batch_call(ctx: ModuleContext, loop: cst.For, small):  # type: ignore[no-untyped-def]
    """(accumulator name, replacement statement, mapping name for dict.update or None)."""
    if isinstance(small, cst.Expr):
        mc = u.method_call(small.value)
        call = small.value
        if mc is None or not isinstance(mc[0], cst.Name) or mc[1] not in _BATCH:
            return None
        assert isinstance(call, cst.Call)
        if len(call.args) != 1 or call.args[0].keyword or call.args[0].star:
            return None
        if not (isinstance(loop.target, cst.Name) and u.is_name(call.args[0].value,
                                                                loop.target.value)):  # fmt: skip
            return None
        iterable = ctx.code(loop.iter).strip()
        return mc[0].value, f"{mc[0].value}.{_BATCH[mc[1]]}({iterable})", None
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        mc = u.method_call(loop.iter)
        if not (
            isinstance(target, cst.Subscript)
            and isinstance(target.value, cst.Name)
            and len(target.slice) == 1
            and isinstance(target.slice[0].slice, cst.Index)
            and mc is not None
            and mc[1] == "items"
            and isinstance(mc[0], cst.Name)
            and not loop.iter.args  # type: ignore[attr-defined]
            and isinstance(loop.target, cst.Tuple)
            and len(loop.target.elements) == 2
        ):
            return None
        k, v = (e.value for e in loop.target.elements)
        if not (
            isinstance(k, cst.Name)
            and isinstance(v, cst.Name)
            and k.value != v.value
            and u.is_name(target.slice[0].slice.value, k.value)
            and u.is_name(small.value, v.value)
        ):
            return None
        acc = target.value.value
        return acc, f"{acc}.update({mc[0].value})", mc[0].value
    return None
