"""VX103 exponential-recursion: a function that calls itself more than once per call with
arguments one step smaller (``n - 1``, ``n - 2``, ``i + 1``) recomputes the same
subproblems an exponential number of times.

Fires when at least two self-calls can run in the same invocation (not in exclusive
``if``/``else`` branches), each passes a parameter shifted by a constant and has its
result used (a call made as a bare statement runs for its side effects, like drawing or
moving Hanoi discs, and must not be cached), and nothing memoizes: no
``functools.cache``/``lru_cache``-style decorator, no memo dict.

Bad::

    def fib(n):
        if n < 2:
            return n
        return fib(n - 1) + fib(n - 2)      # O(2^n) calls

Good::

    from functools import cache

    @cache
    def fib(n):
        if n < 2:
            return n
        return fib(n - 1) + fib(n - 2)      # O(n) distinct calls
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors.base import Detector

_MEMO_WORDS = ("cache", "memo")


class ExponentialRecursion(Detector):
    id = "VX103"
    name = "exponential-recursion"
    action_type = "caching_strategy"
    severity = "high"
    title = "recursion recomputes overlapping subproblems (exponential time)"
    fix = "memoize the function with functools.cache (or lru_cache), or rewrite it bottom-up"
    leave_types = (ast.FunctionDef, ast.AsyncFunctionDef)

    def leave(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        calls = ctx.scope.self_calls
        if len(calls) < 2 or _memoized(node):
            return
        a = node.args
        params = {arg.arg for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs]}
        paths = ctx.scope.cache.get("self_call_paths", {})
        shifted = [
            c for c in calls if _shifts_param(c, params) and _result_used(paths.get(id(c)), c)
        ]
        if len(shifted) < 2:
            return
        for i, first in enumerate(shifted):
            for second in shifted[i + 1 :]:
                if _can_cooccur(paths.get(id(first)), paths.get(id(second))):
                    ctx.report(
                        self,
                        first,
                        end=second,
                        title=f"'{node.name}' calls itself several times on overlapping "
                        "subproblems (exponential time)",
                    )
                    return


def _memoized(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if any(word in name.lower() for word in _MEMO_WORDS):
            return True
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and any(w in sub.id.lower() for w in _MEMO_WORDS):
            return True
        if isinstance(sub, ast.arg) and any(w in sub.arg.lower() for w in _MEMO_WORDS):
            return True
        if isinstance(sub, ast.Attribute) and any(w in sub.attr.lower() for w in _MEMO_WORDS):
            return True
        if isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Store):
            return True  # results stored somewhere: a hand-written memo
    return False


def _result_used(path: tuple[ast.AST, ...] | None, call: ast.Call) -> bool:
    """The call's value feeds a computation: a call made as a bare statement is run for
    its effects (drawing, moving discs), and caching it would skip them."""
    return bool(path) and len(path) >= 2 and not isinstance(path[-2], ast.Expr)


def _shifts_param(call: ast.Call, params: set[str]) -> bool:
    for arg in call.args:
        if (
            isinstance(arg, ast.BinOp)
            and isinstance(arg.op, ast.Add | ast.Sub)
            and isinstance(arg.left, ast.Name)
            and arg.left.id in params
            and isinstance(arg.right, ast.Constant)
            and type(arg.right.value) is int
        ):
            return True
    return False


def _can_cooccur(p1: tuple[ast.AST, ...] | None, p2: tuple[ast.AST, ...] | None) -> bool:
    """False when the two calls sit in exclusive branches, or the first one's statement
    returns before the second can run."""
    if p1 is None or p2 is None:
        return False
    k = 0
    while k < min(len(p1), len(p2)) and p1[k] is p2[k]:
        k += 1
    if k == 0 or k >= min(len(p1), len(p2)):
        return True
    common, c1, c2 = p1[k - 1], p1[k], p2[k]
    if isinstance(common, ast.If | ast.IfExp):
        return _branch(common, c1) == _branch(common, c2)
    if isinstance(common, ast.Match | ast.Try):
        return False
    if isinstance(c1, ast.stmt) and isinstance(c2, ast.stmt):
        # sequential statements: the first must not return on the way
        return not any(isinstance(n, ast.Return | ast.Raise) for n in ast.walk(c1))
    return True


def _branch(node: ast.If | ast.IfExp, child: ast.AST) -> str:
    for field in ("test", "body", "orelse"):
        value = getattr(node, field)
        if value is child or (isinstance(value, list) and any(v is child for v in value)):
            return field
    return "?"
