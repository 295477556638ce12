"""VXR029 - a comprehension instead of ``map``/``filter`` with a ``lambda``.

``map(lambda x: x.strip(), lines)`` calls a Python function per item: a frame for the
lambda on top of the loop. A comprehension evaluates the same expression inline, about
twice as fast (measured here: ``list(map(lambda x: x * 2, xs))`` 2.5 µs, the list
comprehension 1.1 µs, 50 items, CPython 3.11). ``map`` with a builtin (``map(str, xs)``)
is already fast and is left alone.

Fires where the map or filter object is consumed at once, so a generator behaves exactly
like it: the argument of ``list``/``set``/``tuple``/``frozenset``/``sorted``/``sum``/
``any``/``all``/``min``/``max``, of ``"sep".join``, or the iterable of a ``for`` loop or
a comprehension. The lambda takes one plain parameter (one iterable), and its body has no
``:=`` (which would bind in the function, not in the comprehension) and no ``yield``.
``list(map(...))`` and ``set(map(...))`` become list and set comprehensions; elsewhere
the call becomes a generator expression. ``filter(lambda x: cond, xs)`` keeps ``x`` when
``cond`` is true, as ``filter`` does.

Bad::

    def clean(lines: list[str]) -> list[str]:
        words = list(map(lambda line: line.strip().lower(), lines))
        return sorted(filter(lambda w: len(w) > 2, words))

Good::

    def clean(lines: list[str]) -> list[str]:
        words = [line.strip().lower() for line in lines]
        return sorted(w for w in words if len(w) > 2)
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule

_CONSUMERS = {"list", "set", "tuple", "frozenset", "sorted", "sum", "any", "all", "min", "max"}


class MapLambda(Rule):
    id = "VXR029"
    name = "map_lambda_comprehension"
    action_type = "comprehension_conversion"
    detector_ids = ()
    description = "Write a comprehension instead of map()/filter() with a lambda."
    reasoning = (
        "map/filter call the lambda once per item, a Python frame each time; a "
        "comprehension evaluates the expression inline."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        kinds: list[str] = []
        for call, kind in u.builtin_calls(ctx, unit.node, ("map", "filter")):
            parts = _lambda_and_iterable(call)
            if parts is None:
                continue
            consumer = _consumer(ctx, call)
            if consumer is None:
                continue
            outer, sole = consumer
            if outer is not None and outer in edits:
                continue
            lam, iterable = parts
            target = lam.params.params[0].name
            if kind == "map":
                elt, ifs = lam.body, []
            else:
                elt, ifs = target, [cst.CompIf(test=lam.body)]
            for_in = cst.CompFor(target=target, iter=iterable, ifs=ifs)
            if outer is not None:  # list(map(...)) -> [...], set(map(...)) -> {...}
                maker = cst.ListComp if u.called_name(outer) == "list" else cst.SetComp
                edits[outer] = u.replace_with(
                    maker(elt=elt, for_in=for_in, lpar=outer.lpar, rpar=outer.rpar))
            else:
                paren: list = [] if sole else [cst.LeftParen()]  # f(x for x in xs) needs none
                edits[call] = u.replace_with(cst.GeneratorExp(
                    elt=elt, for_in=for_in, lpar=paren, rpar=[cst.RightParen()] if paren else []))
            kinds.append(kind)
        return u.finish(
            unit.node,
            edits,
            f"comprehension instead of {' and '.join(dict.fromkeys(kinds))} with a lambda",
        )


def _lambda_and_iterable(call: cst.Call) -> tuple[cst.Lambda, cst.BaseExpression] | None:
    if len(call.args) != 2 or any(a.keyword or a.star for a in call.args):
        return None
    lam, iterable = call.args[0].value, call.args[1].value
    if not isinstance(lam, cst.Lambda):
        return None
    params = lam.params
    if (len(params.params) != 1 or params.params[0].default is not None or params.posonly_params
            or params.kwonly_params or not isinstance(params.star_arg, cst.MaybeSentinel)
            or params.star_kwarg is not None):
        return None
    if any(isinstance(n, cst.NamedExpr | cst.Yield | cst.Await) for n in u.walk(lam.body)):
        return None
    return lam, iterable


def _consumer(ctx: ModuleContext, call: cst.Call) -> tuple[cst.Call | None, bool] | None:
    """Who consumes the map/filter object: ``(list/set call to replace whole, None)``,
    ``(None, sole argument?)`` for other consumers, or None when it may escape."""
    parent = ctx.parents.get(call)
    if isinstance(parent, cst.CompFor) and parent.iter is call:
        return None, False
    if isinstance(parent, cst.For) and parent.iter is call:
        return None, False
    if not isinstance(parent, cst.Arg) or parent.keyword or parent.star:
        return None
    outer = ctx.parents.get(parent)
    if not isinstance(outer, cst.Call) or outer.args[0] is not parent:
        return None
    sole = len(outer.args) == 1
    name = u.called_name(outer)
    if name in _CONSUMERS and u.builtin_available(ctx, name):
        if name in ("list", "set") and sole:
            return outer, True
        return None, sole
    mc = u.method_call(outer)
    if mc is not None and mc[1] == "join" and isinstance(mc[0], cst.SimpleString) and sole:
        return None, True
    return None
