"""VX139 numpy-elementwise-loop: a Python loop over the indices of NumPy arrays that
computes one element per iteration pays interpreter overhead per element; the same
arithmetic on whole arrays runs in C.

Fires in modules that import NumPy, on ``for i in range(...)`` whose whole body is
``out[i] = <arithmetic on a[i], b[i], scalars>`` where at least one array was created by a
NumPy call in the same function.

Bad::

    out = np.empty(n)
    for i in range(n):
        out[i] = a[i] * 2.0 + b[i]

Good::

    out = a * 2.0 + b
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call
from core.analysis.detectors.base import Detector

_ARITH = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Subscript, ast.Call, ast.Attribute)


class NumpyElementwiseLoop(Detector):
    id = "VX139"
    name = "numpy-elementwise-loop"
    action_type = "vectorization"
    severity = "high"
    title = "element-by-element Python loop over NumPy arrays"
    fix = "write the arithmetic on whole arrays (vectorized NumPy operations)"
    node_types = (ast.For,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.For)
        if "numpy" not in ctx.imports.values() and not any(
            v.startswith("numpy.") for v in ctx.imports.values()
        ):
            return
        if node.orelse or len(node.body) != 1 or not isinstance(node.target, ast.Name):
            return
        if not builtin_call(node.iter, ctx, "range"):
            return
        stmt = node.body[0]
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            return
        i = node.target.id
        out = stmt.targets[0]
        if not _indexed(out, i):
            return
        arrays = {out.value.id}  # type: ignore[attr-defined]
        for sub in ast.walk(stmt.value):
            if not isinstance(sub, _ARITH + (ast.operator, ast.unaryop, ast.expr_context)):
                return
            if isinstance(sub, ast.Subscript):
                if not _indexed(sub, i):
                    return
                arrays.add(sub.value.id)  # type: ignore[attr-defined]
            elif isinstance(sub, ast.Call):
                if not _numpy_or_math(sub.func, ctx):
                    return
            elif isinstance(sub, ast.Name) and sub.id == i:
                pass
        if len(arrays) < 2 and out.value.id in facts.names_in(stmt.value):  # type: ignore[attr-defined]
            return  # out[i] = f(out[i - 1]) style recurrences are not element-wise
        if any(_numpy_array(name, ctx) for name in arrays):
            ctx.report(self, node)


def _indexed(node: ast.AST, index: str) -> bool:
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and isinstance(node.slice, ast.Name)
        and node.slice.id == index
    )


def _numpy_or_math(func: ast.expr, ctx: AnalysisContext) -> bool:
    root = func
    while isinstance(root, ast.Attribute):
        root = root.value
    if isinstance(root, ast.Name):
        module = ctx.imports.get(root.id, "")
        return module.split(".")[0] in ("numpy", "math")
    return False


def _numpy_array(name: str, ctx: AnalysisContext) -> bool:
    for b in facts.scope_facts(ctx.scope).bindings.get(name, []):
        if b.kind == "assign" and isinstance(b.value, ast.Call) and _numpy_or_math(b.value.func, ctx):
            root = b.value.func
            while isinstance(root, ast.Attribute):
                root = root.value
            if ctx.imports.get(root.id, "").startswith("numpy"):  # type: ignore[attr-defined]
                return True
    return False
