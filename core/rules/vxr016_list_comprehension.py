"""VXR016 - turn an append loop into a list comprehension.

``out = []`` followed by ``for x in xs: out.append(f(x))`` looks up and calls
``out.append`` on every iteration; a list comprehension builds the same list with a
dedicated bytecode, typically 20-40% faster, and says what it builds in one line.

Fires when an empty-list initialisation is followed (nothing in between mentioning the
list) by a ``for`` loop without ``else`` whose body is exactly one ``out.append(expr)``,
optionally inside one ``if`` without ``else`` (becomes the comprehension's condition), or a
nest of such ``for`` loops. The appended expression and conditions must not mention the
list, and the loop variables must not be used after the loop (a comprehension does not
leak them). The loop's own leading comments are kept above the new statement.

Bad::

    def squares_of_evens(xs: list[int]) -> list[int]:
        out = []
        for x in xs:
            if x % 2 == 0:
                out.append(x * x)
        return out

Good::

    def squares_of_evens(xs: list[int]) -> list[int]:
        out = [x * x for x in xs if x % 2 == 0]
        return out
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule


def loop_clauses(  # type: ignore[no-untyped-def]
    ctx: ModuleContext, func: cst.FunctionDef, loop: cst.CSTNode, acc: str
):
    """For ``for a in A: [if c:] for b in B: [if d:] <stmt>`` return (clauses, stmt) where
    clauses is a list of ("for", target, iter) / ("if", test); None for other shapes.
    Checks that ``acc`` appears nowhere in targets/iters/tests and that the loop variables
    are not used outside the loop."""
    clauses = []
    node = loop
    while True:
        if isinstance(node, cst.For):
            if node.orelse is not None or node.asynchronous is not None:
                return None
            clauses.append(("for", node.target, node.iter))
        elif isinstance(node, cst.If):
            if node.orelse is not None:
                return None
            clauses.append(("if", node.test))
        else:
            break
        body = u.block_body(node.body)
        if body is None:
            if isinstance(node.body, cst.SimpleStatementSuite) and len(node.body.body) == 1:
                return clauses, node.body.body[0], node
            return None
        if len(body) != 1:
            return None
        node = body[0]
        if isinstance(node, cst.SimpleStatementLine):
            if len(node.body) != 1:
                return None
            return clauses, node.body[0], node
    return None


def clauses_ok(
    ctx: ModuleContext, func: cst.FunctionDef, loop: cst.CSTNode, clauses, acc: str  # type: ignore[no-untyped-def]
) -> bool:
    if clauses[0][0] != "for":
        return False
    for c in clauses:
        for part in c[1:]:
            if u.var_names(ctx, part, acc):
                return False
            if any(isinstance(n, cst.NamedExpr | cst.Yield | cst.Await) for n in u.walk(part)):
                return False
    for c in clauses:
        if c[0] != "for":
            continue
        for n in u.walk(c[1]):
            if not isinstance(n, cst.Name):
                continue
            if any(
                not u.contains(loop, occ) and u.in_scope(ctx, occ, func)
                for occ in u.var_names(ctx, func.body, n.value)
            ):
                return False
    return True


def comprehension_site(  # type: ignore[no-untyped-def]
    ctx: ModuleContext, func: cst.FunctionDef, body, i: int, acc: str, taken
):
    """The loop after ``body[i]`` (the initialisation of ``acc``) when it can become a
    comprehension: (loop, clauses, the single bottom small statement), else None."""
    loop = u.first_mention_after(ctx, body, i, acc)
    if not isinstance(loop, cst.For) or loop in taken or u.inside_try(ctx, loop, func):
        return None
    found = loop_clauses(ctx, func, loop, acc)
    if found is None:
        return None
    clauses, small, _line = found
    if not clauses_ok(ctx, func, loop, clauses, acc):
        return None
    return loop, clauses, small


def render_clauses(ctx: ModuleContext, clauses) -> str:  # type: ignore[no-untyped-def]
    out = []
    for c in clauses:
        if c[0] == "for":
            out.append(f"for {ctx.code(c[1]).strip()} in {ctx.code(c[2]).strip()}")
        else:
            out.append(f"if {ctx.code(c[1]).strip()}")
    return " ".join(out)


class ListComprehension(Rule):
    id = "VXR016"
    name = "list_comprehension"
    action_type = "comprehension_conversion"
    detector_ids = ("VX128",)
    description = "Build a list with a comprehension instead of an append loop."
    reasoning = (
        "The append loop looks up and calls out.append on every item; a list comprehension "
        "appends with a dedicated bytecode and no method lookups."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        names: list[str] = []
        for func, body, i, s0, acc, value in u.init_sites(ctx, unit.node):
            if not (isinstance(value, cst.List) and not value.elements):
                continue
            site = comprehension_site(ctx, func, body, i, acc, edits)
            if site is None:
                continue
            loop, clauses, small = site
            item = _appended(ctx, small, acc)
            if item is None:
                continue
            code = f"{acc} = [{ctx.code(item).strip()} {render_clauses(ctx, clauses)}]"
            u.collapse(edits, s0, loop, code)
            names.append(acc)
        return u.finish(unit.node, edits, f"build {', '.join(names)} with a list comprehension")


def _appended(
    ctx: ModuleContext, small: cst.BaseSmallStatement, acc: str
) -> cst.BaseExpression | None:
    if not isinstance(small, cst.Expr):
        return None
    mc = u.method_call(small.value)
    if mc is None or not u.is_name(mc[0], acc) or mc[1] != "append":
        return None
    call = small.value
    assert isinstance(call, cst.Call)
    if len(call.args) != 1 or call.args[0].keyword or call.args[0].star:
        return None
    item = call.args[0].value
    if u.var_names(ctx, item, acc) or any(
        isinstance(n, cst.NamedExpr | cst.Yield | cst.Await) for n in u.walk(item)
    ):
        return None
    return item
