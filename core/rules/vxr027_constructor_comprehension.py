"""VXR027 - write a comprehension instead of passing a generator to ``list``/``set``/``dict``.

``list(f(x) for x in xs)`` runs a generator and feeds it to the constructor one item at a
time; ``set([f(x) for x in xs])`` even builds a throw-away list first. The comprehension
builds the result directly.

Rewrites ``list(<generator>)`` and ``list([<list comprehension>])`` to a list
comprehension, ``set(<generator>)`` / ``set([<list comprehension>])`` to a set
comprehension, and ``dict(<generator of 2-tuples>)`` to a dict comprehension (the tuple
evaluates key then value, as the dict comprehension does). The builtin must not be
shadowed and the call must have that single argument.

Bad::

    def index(users: list[dict[str, str]]) -> tuple[set[str], dict[str, dict[str, str]]]:
        names = set([u["name"] for u in users])
        by_id = dict((u["id"], u) for u in users)
        return names, by_id

Good::

    def index(users: list[dict[str, str]]) -> tuple[set[str], dict[str, dict[str, str]]]:
        names = {u["name"] for u in users}
        by_id = {u["id"]: u for u in users}
        return names, by_id
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


class ConstructorComprehension(Rule):
    id = "VXR027"
    name = "constructor_comprehension"
    action_type = "comprehension_conversion"
    detector_ids = ("VX121",)
    description = "Write a comprehension instead of list()/set()/dict() around a generator."
    reasoning = (
        "The constructor pulls items from a generator (or copies a temporary list); a "
        "comprehension builds the container directly, without the extra layer."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        kinds: list[str] = []
        for call, fn in u.builtin_calls(ctx, unit.node, ("list", "set", "dict")):
            if len(call.args) != 1 or call.args[0].keyword or call.args[0].star:
                continue
            arg = call.args[0].value
            if isinstance(arg, cst.ListComp) and fn in ("list", "set"):
                pass
            elif not isinstance(arg, cst.GeneratorExp):
                continue
            if fn == "dict" and not (
                isinstance(arg.elt, cst.Tuple)
                and len(arg.elt.elements) == 2
                and all(isinstance(e, cst.Element) for e in arg.elt.elements)
            ):
                continue
            edits[call] = lambda upd, fn=fn: _comprehension(fn, upd)
            kinds.append(fn)
        return u.finish(
            unit.node,
            edits,
            f"build with a comprehension instead of {', '.join(dict.fromkeys(kinds))}()",
        )


def _comprehension(fn: str, call: cst.Call) -> cst.BaseExpression:
    arg = call.args[0].value
    assert isinstance(arg, cst.GeneratorExp | cst.ListComp)
    if fn == "list":
        return cst.ListComp(elt=arg.elt, for_in=arg.for_in, lpar=call.lpar, rpar=call.rpar)
    if fn == "set":
        return cst.SetComp(elt=arg.elt, for_in=arg.for_in, lpar=call.lpar, rpar=call.rpar)
    assert isinstance(arg.elt, cst.Tuple)
    key, value = (e.value for e in arg.elt.elements)
    return cst.DictComp(
        key=key, value=value, for_in=arg.for_in, lpar=call.lpar, rpar=call.rpar
    )
