"""Shared machinery of the loop-invariant hoisting rules (VXR013, VXR014).

A call ``f(x, ...)`` of a pure builtin whose arguments are names that a loop never
rebinds nor mutates computes the same value on every iteration; it can be computed once
before the loop (`cstutil.hoist_point` picks the outermost loop where that holds).
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite

# (call, func, hoist statement) -> (reasons it is not proven, guard condition source or
# None), or None to leave the call alone. With a guard the hoisted statement is
# ``var = call if guard else None``.
Judge = Callable[
    [cst.Call, cst.FunctionDef, cst.BaseStatement], tuple[list[str], str | None] | None
]


def call_names(ctx: ModuleContext, call: cst.Call) -> list[str] | None:
    """The variable names a call depends on when it is hoistable: positional plain-name
    arguments, ``reverse=True|False``, and a ``key=lambda`` that calls nothing but pure
    builtins. None otherwise."""
    names: list[str] = []
    for a in call.args:
        if a.star:
            return None
        if a.keyword is None:
            if not isinstance(a.value, cst.Name):
                return None
            names.append(a.value.value)
        elif a.keyword.value == "reverse":
            if not (isinstance(a.value, cst.Name) and a.value.value in ("True", "False")):
                return None
        elif a.keyword.value == "key" and isinstance(a.value, cst.Lambda):
            lam = a.value
            params = {p.name.value for p in lam.params.params}
            if len(params) != 1 or lam.params.star_arg is not cst.MaybeSentinel.DEFAULT:
                return None
            if u.unknown_calls(ctx, lam.body):
                return None
            for n in u.walk(lam.body):
                if isinstance(n, cst.Name) and n in ctx.expr_ctx and n.value not in params:
                    if isinstance(n, cst.Name) and n.value in u.PURE_BUILTINS:
                        continue
                    names.append(n.value)
        else:
            return None
    return names if names else None


def hoist_calls(
    ctx: ModuleContext,
    unit: FunctionUnit,
    functions: frozenset[str],
    judge: Judge,
) -> tuple[cst.FunctionDef, list[str], list[str]] | None:
    """Hoist every hoistable call of one of ``functions`` in ``unit``.

    Returns (new function node, short descriptions, unproven reasons) or None."""
    groups: dict[tuple[str, cst.BaseStatement], list[cst.Call]] = {}
    first_call: dict[tuple[str, cst.BaseStatement], cst.Call] = {}
    guards: dict[tuple[str, cst.BaseStatement], str | None] = {}
    why: list[str] = []
    for func in u.function_scopes(unit.node):
        for call in u.walk(func.body):
            if not isinstance(call, cst.Call) or not u.in_scope(ctx, call, func):
                continue
            fn = u.called_name(call)
            if fn not in functions or not u.builtin_available(ctx, fn):
                continue
            names = call_names(ctx, call)
            if names is None:
                continue
            stmt = u.hoist_point(ctx, func, call, names)
            if stmt is None:
                continue
            judged = judge(call, func, stmt)
            if judged is None:
                continue
            verdict, guard = judged
            for name in dict.fromkeys(names):
                if u.calls_that_may_mutate(ctx, func, stmt, name):
                    verdict.append(f"the loop calls code that might mutate {name}")
            key = (_normal(ctx, call), stmt)
            groups.setdefault(key, []).append(call)
            first_call.setdefault(key, call)
            guards.setdefault(key, guard)
            why.extend(verdict)
    if not groups:
        return None
    edits: dict[cst.CSTNode, u.Edit] = {}
    inserts: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
    done: list[str] = []
    for key, calls in groups.items():
        call = first_call[key]
        fn = u.called_name(call)
        first_arg = next(a.value.value for a in call.args if a.keyword is None)  # type: ignore[union-attr]
        var = ctx.fresh_local(unit.node, f"{fn}_{first_arg}")
        value = ctx.code(call).strip()
        if guards[key] is not None:
            value = f"{value} if {guards[key]} else None"
        inserts.setdefault(key[1], []).append(u.stmt(f"{var} = {value}"))
        for c in calls:
            edits[c] = u.replace_with(cst.Name(var, lpar=c.lpar, rpar=c.rpar))
        done.append(ctx.code(call).strip())
    for stmt, new in inserts.items():
        edits[stmt] = u.insert_before(*new)
    return u.apply_edits(unit.node, edits), done, why  # type: ignore[return-value]


def _normal(ctx: ModuleContext, call: cst.Call) -> str:
    return "".join(ctx.code(call).split())


def make_rewrite(
    found: tuple[cst.FunctionDef, list[str], list[str]] | None, what: str
) -> Rewrite | None:
    if found is None:
        return None
    node, done, why = found
    return Rewrite(
        new_node=node,
        summary=f"compute {', '.join(dict.fromkeys(done))} once, before the loop ({what})",
        needs_verification=bool(why),
        unproven="; ".join(dict.fromkeys(why)),
    )
