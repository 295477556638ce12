"""VXR026 - replace a hand-written running minimum/maximum by ``min()``/``max()``.

``best = xs[0]; for x in xs: if x > best: best = x`` is exactly what ``max(xs)`` does,
in C: ``max`` keeps the first item and replaces it whenever ``item > best`` (``min``:
``item < best``), the same comparisons in the same order, so ties and even NaNs come out
the same.

Fires when the running value is initialised from ``xs[0]`` (the statement is kept, so an
empty list still raises IndexError) and the next statement mentioning it is a ``for``
loop without ``else`` over ``xs`` or ``xs[1:]`` whose body is exactly ``if x > best: best =
x`` (``<`` for the minimum) or ``best = max(best, x)``; the loop variable must not be read
after the loop. An initial ``float("-inf")``/``float("inf")`` becomes ``max(xs,
default=float("-inf"))``, marked for verification unless ``xs`` holds ints (a NaN first
item is kept by ``max`` but skipped by the loop). Also marked when ``xs`` is not known to
be a list or tuple (``xs[0]`` and iteration might disagree, as for a mapping).

Bad::

    def highest(scores: list[int]) -> int:
        best = scores[0]
        for s in scores:
            if s > best:
                best = s
        return best

Good::

    def highest(scores: list[int]) -> int:
        best = scores[0]
        best = max(scores)
        return best
"""

from __future__ import annotations

import re

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


class ManualMinMax(Rule):
    id = "VXR026"
    name = "manual_min_max"
    action_type = "builtin_function_usage"
    detector_ids = ("VX136",)
    description = "Replace a hand-written running minimum/maximum loop by min()/max()."
    reasoning = (
        "The loop compares item by item in bytecode; min()/max() make the same comparisons "
        "in C."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        why: list[str] = []
        names: list[str] = []
        for func, body, i, s0, best, init in u.init_sites(ctx, unit.node):
            start = _init_kind(ctx, init)
            if start is None:
                continue
            loop = u.first_mention_after(ctx, body, i, best)
            found = _loop(ctx, func, loop, best)
            if found is None:
                continue
            fn, xs, sliced = found
            if not u.builtin_available(ctx, fn):
                continue
            if start[0] == "index":
                if start[1] != xs:
                    continue
                value = f"{fn}({xs})"
                edits[loop] = u.replace_with(u.stmt(f"{best} = {value}").with_changes(
                    leading_lines=loop.leading_lines))  # fmt: skip
            else:
                if (fn == "max") != (start[1] == "-inf") or sliced:
                    continue
                value = f"{fn}({xs}, default={ctx.code(init).strip()})"
                edits[s0] = u.remove()
                edits[loop] = u.replace_with(u.stmt(f"{best} = {value}").with_changes(
                    leading_lines=[*s0.leading_lines, *loop.leading_lines]))  # type: ignore[union-attr]  # fmt: skip
                if not _int_list(ctx, func, xs):
                    why.append(f"{xs} may hold NaN floats (a NaN first item would win)")
            kind, _ = u.local_kind(ctx, func, xs)
            if kind != "list":
                why.append(f"{xs} is not known to be a list or tuple")
            names.append(best)
        return u.finish(unit.node, edits, f"compute {', '.join(names)} with min()/max()", why)


def _init_kind(ctx: ModuleContext, e: cst.BaseExpression) -> tuple[str, str] | None:
    """("index", xs) for ``xs[0]``; ("-inf" | "inf",) for float infinities."""
    if (
        isinstance(e, cst.Subscript)
        and isinstance(e.value, cst.Name)
        and len(e.slice) == 1
        and isinstance(e.slice[0].slice, cst.Index)
        and isinstance(e.slice[0].slice.value, cst.Integer)
        and e.slice[0].slice.value.value == "0"
    ):
        return "index", e.value.value
    code = ctx.code(e).replace(" ", "").replace("'", '"')
    if code in ('float("-inf")', "-math.inf", "-float(\"inf\")"):
        return "-inf", "-inf"
    if code in ('float("inf")', "math.inf", 'float("+inf")'):
        return "inf", "inf"
    return None


def _loop(ctx: ModuleContext, func: cst.FunctionDef, loop, best: str):  # type: ignore[no-untyped-def]
    if not isinstance(loop, cst.For) or loop.orelse is not None or loop.asynchronous:
        return None
    if not isinstance(loop.target, cst.Name):
        return None
    x = loop.target.value
    it = _iterated_list(loop.iter)
    if it is None:
        return None
    xs, sliced = it
    inner = u.block_body(loop.body)
    if inner is None or len(inner) != 1:
        return None
    stmt = inner[0]
    fn = None
    if isinstance(stmt, cst.If) and stmt.orelse is None:
        fn = _compare(stmt.test, x, best)
        asg = _only_assign(stmt)
        if asg is None or not u.is_name(asg[0], best) or not u.is_name(asg[1], x):
            return None
    else:
        small = u.only_small(stmt)
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            v = small.value
            if (
                u.is_name(small.targets[0].target, best)
                and isinstance(v, cst.Call)
                and u.called_name(v) in ("min", "max")
                and len(v.args) == 2
                and u.is_name(v.args[0].value, best)
                and u.is_name(v.args[1].value, x)
                and not any(a.keyword or a.star for a in v.args)
            ):
                fn = u.called_name(v)
    if fn is None:
        return None
    if not u.dead_outside(ctx, func, [loop], [x]):
        return None
    return fn, xs, sliced


def _iterated_list(e: cst.BaseExpression) -> tuple[str, bool] | None:
    """``xs`` -> ("xs", False); ``xs[1:]`` -> ("xs", True)."""
    if isinstance(e, cst.Name):
        return e.value, False
    if (
        isinstance(e, cst.Subscript)
        and isinstance(e.value, cst.Name)
        and len(e.slice) == 1
        and isinstance(e.slice[0].slice, cst.Slice)
    ):
        sl = e.slice[0].slice
        if (
            isinstance(sl.lower, cst.Integer)
            and sl.lower.value == "1"
            and sl.upper is None
            and sl.step is None
        ):
            return e.value.value, True
    return None


def _compare(test: cst.BaseExpression, x: str, best: str) -> str | None:
    """``x > best`` -> "max", ``x < best`` -> "min" (the operand order max()/min() use)."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    op = test.comparisons[0].operator
    if u.is_name(test.left, x) and u.is_name(test.comparisons[0].comparator, best):
        if isinstance(op, cst.GreaterThan):
            return "max"
        if isinstance(op, cst.LessThan):
            return "min"
    return None


def _only_assign(branch: cst.If) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    if isinstance(branch.body, cst.IndentedBlock):
        if len(branch.body.body) != 1:
            return None
        small = u.only_small(branch.body.body[0])
    else:
        small = branch.body.body[0] if len(branch.body.body) == 1 else None
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        return small.targets[0].target, small.value
    return None


def _int_list(ctx: ModuleContext, func: cst.FunctionDef, name: str) -> bool:
    return any(
        p.name.value == name
        and re.fullmatch(r"(list|List|Sequence|tuple)\[int(,\.\.\.)?\]", u.annotation_text(ctx, p) or "")
        for p in u.params_of(func)
    )
