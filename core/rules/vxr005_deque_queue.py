"""VXR005 - use ``collections.deque`` for a local list used as a queue.

``list.pop(0)`` and ``list.insert(0, x)`` shift every element: O(n) each, so a queue
drained in a loop is quadratic. ``deque.popleft()`` / ``deque.appendleft()`` are O(1).

Fires on a local (not a parameter) bound exactly once, to a list display or ``list(...)``,
that is popped or inserted at the front inside a loop, and whose every use is one a deque
supports identically: ``append``, ``appendleft``-able ``insert(0, x)``, ``pop()``,
``pop(0)``, ``extend``, ``clear``, ``count``, ``remove``, ``reverse``, ``len(q)``,
truth tests, ``for x in q``, ``x in q`` and ``q[0]`` / ``q[-1]``. Any other use (returning
it, slicing, passing it on, sorting) keeps the rule from firing, so no caller ever sees a
deque where it had a list. The only difference left is the message of the IndexError
raised when popping an empty queue.

Bad::

    def bfs_order(graph: dict[str, list[str]], start: str) -> list[str]:
        queue = [start]
        seen = {start}
        order = []
        while queue:
            node = queue.pop(0)
            order.append(node)
            for nxt in graph[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return order

Good::

    from collections import deque

    def bfs_order(graph: dict[str, list[str]], start: str) -> list[str]:
        queue = deque([start])
        seen = {start}
        order = []
        while queue:
            node = queue.popleft()
            order.append(node)
            for nxt in graph[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return order
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule

_SAME_METHODS = frozenset({"append", "extend", "clear", "count", "remove", "reverse"})


class DequeQueue(Rule):
    id = "VXR005"
    name = "deque_queue"
    action_type = "specialized_collections"
    detector_ids = ("VX109",)
    description = "Use collections.deque for a list popped or inserted at the front."
    reasoning = (
        "list.pop(0) and list.insert(0, x) move every remaining element (O(n) each); "
        "deque.popleft() and deque.appendleft() are O(1)."
    )
    effort = "low"

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        plans = []
        for func in u.function_scopes(unit.node):
            for name in sorted(u.bound_names(ctx, func.body)):
                plan = self._plan(ctx, func, name)
                if plan is not None:
                    plans.append((name, plan))
        if not plans:
            return None
        ref = ctx.reference("collections", "deque", prefer_from=True)
        if ref is None:
            return None
        edits: dict[cst.CSTNode, u.Edit] = {}
        for _name, (init, front_ops) in plans:
            if isinstance(init, cst.List):
                new = (
                    u.expr(f"{ref[0]}()") if not init.elements else
                    u.expr(f"{ref[0]}({ctx.code(init)})")
                )  # fmt: skip
            else:  # list(iterable)
                new = init.with_changes(func=u.expr(ref[0]))
            edits[init] = u.replace_with(new)
            for call, method in front_ops:
                if method == "popleft":
                    edits[call] = u.replace_with(
                        call.with_changes(
                            func=call.func.with_changes(attr=cst.Name("popleft")), args=[]
                        )
                    )
                else:
                    edits[call] = u.replace_with(
                        call.with_changes(
                            func=call.func.with_changes(attr=cst.Name("appendleft")),
                            args=[call.args[1].with_changes(comma=cst.MaybeSentinel.DEFAULT)],
                        )
                    )
        return Rewrite(
            new_node=u.apply_edits(unit.node, edits),
            summary=f"use a deque for queue {', '.join(n for n, _ in plans)}",
            imports=[ref[1]] if ref[1] else [],
        )

    def _plan(  # type: ignore[no-untyped-def]
        self, ctx: ModuleContext, func: cst.FunctionDef, name: str
    ):
        if name in u.param_names(func):
            return None
        occs = u.var_names(ctx, func.body, name)
        if any(not u.in_scope(ctx, n, func) for n in occs):
            return None
        stores = [n for n in occs if u.is_store(ctx, n)]
        if len(stores) != 1:
            return None
        target = ctx.parents.get(stores[0])
        assign = ctx.parents.get(target) if isinstance(target, cst.AssignTarget) else None
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return None
        init = assign.value
        if not (
            isinstance(init, cst.List)
            and all(isinstance(e, cst.Element) for e in init.elements)
            or isinstance(init, cst.Call)
            and u.called_name(init) == "list"
            and len(init.args) == 1
            and init.args[0].star == ""
            and init.args[0].keyword is None
            and u.builtin_available(ctx, "list")
        ):
            return None
        front_ops = []
        in_loop = False
        for n in occs:
            if n is stores[0]:
                continue
            verdict = _use(ctx, n)
            if verdict is None:
                return None
            if verdict != "ok":
                call = ctx.parents[ctx.parents[n]]
                front_ops.append((call, verdict))
                in_loop = in_loop or bool(u.loops_between(ctx, call, func))
        if not front_ops or not in_loop:
            return None
        return init, front_ops


def _use(ctx: ModuleContext, n: cst.Name) -> str | None:
    """"ok" for a use a deque supports unchanged, "popleft"/"appendleft" for a front
    operation to rename, None for anything else."""
    p = ctx.parents.get(n)
    if isinstance(p, cst.Attribute) and p.value is n:
        call = ctx.parents.get(p)
        if not (isinstance(call, cst.Call) and call.func is p):
            return None
        m = p.attr.value
        args = call.args
        if any(a.star or a.keyword for a in args):
            return None
        if m in _SAME_METHODS:
            return "ok"
        if m == "pop" and not args:
            return "ok"
        if m == "pop" and len(args) == 1 and _is_zero(args[0].value):
            return "popleft"
        if m == "insert" and len(args) == 2 and _is_zero(args[0].value):
            return "appendleft"
        return None
    if isinstance(p, cst.Subscript) and p.value is n:
        if len(p.slice) != 1 or not isinstance(p.slice[0].slice, cst.Index):
            return None
        idx = p.slice[0].slice.value
        ok = _is_zero(idx) or (
            isinstance(idx, cst.UnaryOperation)
            and isinstance(idx.operator, cst.Minus)
            and isinstance(idx.expression, cst.Integer)
            and idx.expression.value == "1"
        )
        return "ok" if ok else None
    if isinstance(p, cst.Arg) and p.star == "":
        call = ctx.parents.get(p)
        if isinstance(call, cst.Call) and u.called_name(call) == "len":
            return "ok" if u.builtin_available(ctx, "len") else None
        return None
    if isinstance(p, cst.If | cst.While | cst.IfExp) and p.test is n:
        return "ok"
    if isinstance(p, cst.UnaryOperation) and isinstance(p.operator, cst.Not):
        return "ok"
    if isinstance(p, cst.BooleanOperation):
        gp = ctx.parents.get(p)
        return "ok" if isinstance(gp, cst.If | cst.While) and gp.test is p else None
    if isinstance(p, cst.For) and p.iter is n:
        # a deque refuses to be mutated while iterated; a list does not
        return None if u.var_names(ctx, p.body, n.value) else "ok"
    if isinstance(p, cst.ComparisonTarget) and isinstance(p.operator, cst.In | cst.NotIn):
        return "ok"
    return None


def _is_zero(e: cst.BaseExpression) -> bool:
    return isinstance(e, cst.Integer) and e.evaluated_value == 0
