"""Small AST helpers shared by several detectors."""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext, Loop


def shape(node: ast.AST) -> str:
    """A key for structural comparison: ``ast.dump`` without positions or load/store."""
    return ast.dump(node).replace("ctx=Store()", "ctx=Load()").replace("ctx=Del()", "ctx=Load()")


def same(a: ast.AST | None, b: ast.AST | None) -> bool:
    """Structural equality of two expressions (ignoring positions and load/store context)."""
    if a is None or b is None:
        return a is b
    return shape(a) == shape(b)


def builtin_call(node: ast.AST, ctx: AnalysisContext, *names: str) -> str | None:
    """The builtin's name when ``node`` calls one of ``names`` (not shadowed), else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name in names and ctx.is_builtin(node.func, name):
            return name
    return None


def method_call(node: ast.AST, *methods: str) -> tuple[ast.expr, str] | None:
    """``(receiver, method)`` when ``node`` is ``receiver.method(...)`` with a listed method."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and (not methods or node.func.attr in methods)
    ):
        return node.func.value, node.func.attr
    return None


def block_position(ctx: AnalysisContext, node: ast.stmt) -> tuple[list[ast.stmt], int] | None:
    """The statement list holding ``node`` (the current node) and its index there."""
    parent = ctx.parent
    if parent is None:
        return None
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list):
            for i, stmt in enumerate(block):
                if stmt is node:
                    return block, i
    if isinstance(parent, ast.Try | ast.TryStar):
        return None
    return None


def simple_assign(node: ast.AST) -> tuple[str, ast.expr] | None:
    """``(name, value)`` when ``node`` is ``name = value`` with one bare-name target."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    return None


def assigned_just_before(ctx: AnalysisContext, node: ast.stmt, name: str) -> ast.expr | None:
    """The value of ``name = value`` when that is the statement right before ``node``
    (the current node) in its block."""
    position = block_position(ctx, node)
    if position is None or position[1] == 0:
        return None
    found = simple_assign(position[0][position[1] - 1])
    return found[1] if found and found[0] == name else None


def target_names(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def loop_targets(loop: Loop) -> set[str]:
    node = loop.node
    target = getattr(node, "target", None)
    return target_names(target) if target is not None else set()


def loop_iter(loop: Loop) -> ast.expr | None:
    return getattr(loop.node, "iter", None)


def is_name(node: ast.AST | None, name: str | None = None) -> bool:
    return isinstance(node, ast.Name) and (name is None or node.id == name)


def swap_of(stmt: ast.stmt) -> tuple[ast.Subscript, ast.Subscript] | None:
    """``(a, b)`` when ``stmt`` is ``a, b = b, a`` with two subscripts of one sequence."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
        return None
    target, value = stmt.targets[0], stmt.value
    if not (isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)):
        return None
    if len(target.elts) != 2 or len(value.elts) != 2:
        return None
    a, b = target.elts
    if not (isinstance(a, ast.Subscript) and isinstance(b, ast.Subscript)):
        return None
    if not same(a.value, b.value) or same(a.slice, b.slice):
        return None
    if same(value.elts[0], b) and same(value.elts[1], a):
        return a, b
    return None


def swaps_in(body: list[ast.stmt]) -> list[tuple[ast.Subscript, ast.Subscript]]:
    """Swaps of two items of one sequence in ``body``: ``a, b = b, a`` or the three-step
    ``t = a; a = b; b = t``."""
    found = []
    for i, stmt in enumerate(body):
        pair = swap_of(stmt)
        if pair:
            found.append(pair)
            continue
        if i + 2 < len(body):
            s1, s2, s3 = body[i], body[i + 1], body[i + 2]
            if (
                all(isinstance(s, ast.Assign) and len(s.targets) == 1 for s in (s1, s2, s3))
                and isinstance(s1.targets[0], ast.Name)  # type: ignore[union-attr]
                and isinstance(s1.value, ast.Subscript)  # type: ignore[union-attr]
                and same(s2.targets[0], s1.value)  # type: ignore[union-attr]
                and isinstance(s2.value, ast.Subscript)  # type: ignore[union-attr]
                and same(s3.targets[0], s2.value)  # type: ignore[union-attr]
                and same(s3.value, s1.targets[0])  # type: ignore[union-attr]
                and same(s1.value.value, s2.value.value)  # type: ignore[union-attr]
            ):
                found.append((s1.value, s2.value))  # type: ignore[union-attr]
    return found


def compares_items(test: ast.AST, a: ast.AST, b: ast.AST) -> bool:
    """``test`` orders ``a`` against ``b`` (``a > b``, ``b < a``, ...), possibly inside an
    ``and``."""
    tests = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    for t in tests:
        if (
            isinstance(t, ast.Compare)
            and len(t.ops) == 1
            and isinstance(t.ops[0], ast.Lt | ast.Gt | ast.LtE | ast.GtE)
        ):
            left, right = t.left, t.comparators[0]
            if (same(left, a) and same(right, b)) or (same(left, b) and same(right, a)):
                return True
    return False


def parents_of(root: ast.AST) -> dict[int, ast.AST]:
    """Map id(child) -> parent for the subtree under ``root``."""
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(root):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    return parents
