"""VXR009 - replace a hand-written bubble, selection or insertion sort by ``list.sort()``.

These textbook sorts make O(n^2) comparisons; ``list.sort()`` (Timsort) makes O(n log n)
and runs in C. The rewrite sorts the same list in place, so a function that sorts its
argument and returns it keeps doing exactly that.

Recognised shapes (``n`` is ``len(a)`` or a name bound once to ``len(a)``; ``range(0, x)``
is read as ``range(x)``):

* bubble sort: ``for i in range(n | n - 1): for j in range(n - i - 1 | n - 1 - i | n - 1):
  if a[j] > a[j + 1]: a[j], a[j + 1] = a[j + 1], a[j]``, also with a ``swapped`` flag and
  ``break``, and the ``swapped = True / while swapped:`` form;
* selection sort: ``for i in range(n | n - 1): m = i; for j in range(i + 1, n): if a[j] <
  a[m]: m = j`` then the swap (optionally guarded by ``if m != i``);
* insertion sort: ``for i in range(1, n): key = a[i]; j = i - 1; while j >= 0 and a[j] >
  key: a[j + 1] = a[j]; j -= 1`` then ``a[j + 1] = key``.

The comparison may compare a key of the items (``a[j][1] > a[j + 1][1]``,
``a[j].score < ...``): it becomes ``key=lambda item: item[1]``, applied only when there
are two or more items (the loops never evaluate the key otherwise); ``<`` instead of
``>`` sorts descending (``reverse=True``). The loop variables must not be read after the sort.
Bubble and insertion sorts are stable, like ``list.sort``; selection sort is not, so with
a key its candidate is marked for verification. Candidates are also marked when the list
is not known to be a ``list`` of ``int`` or ``str`` (a total order).

Bad::

    def rank(scores: list[int]) -> list[int]:
        n = len(scores)
        for i in range(n):
            for j in range(0, n - i - 1):
                if scores[j] > scores[j + 1]:
                    scores[j], scores[j + 1] = scores[j + 1], scores[j]
        return scores

Good::

    def rank(scores: list[int]) -> list[int]:
        n = len(scores)
        scores.sort()
        return scores
"""

from __future__ import annotations

import ast
import re
import textwrap

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule

_META = frozenset({"A", "I", "J", "M", "K", "SW", "N", "CMP", "R_OUT", "R_IN"})
_VAR_META = frozenset({"A", "I", "J", "M", "K", "SW"})


def _tpl(code: str) -> list[ast.stmt]:
    return ast.parse(textwrap.dedent(code)).body


_BUBBLE = _tpl(
    """
    for I in range(R_OUT):
        for J in range(R_IN):
            if CMP:
                A[J], A[J + 1] = A[J + 1], A[J]
    """
)
_BUBBLE_FLAG = _tpl(
    """
    for I in range(R_OUT):
        SW = False
        for J in range(R_IN):
            if CMP:
                A[J], A[J + 1] = A[J + 1], A[J]
                SW = True
        if not SW:
            break
    """
)
_BUBBLE_WHILE = _tpl(
    """
    SW = True
    while SW:
        SW = False
        for J in range(R_IN):
            if CMP:
                A[J], A[J + 1] = A[J + 1], A[J]
                SW = True
    """
)
_SELECTION = _tpl(
    """
    for I in range(R_OUT):
        M = I
        for J in range(I + 1, N):
            if CMP:
                M = J
        A[I], A[M] = A[M], A[I]
    """
)
_SELECTION_GUARD = _tpl(
    """
    for I in range(R_OUT):
        M = I
        for J in range(I + 1, N):
            if CMP:
                M = J
        if M != I:
            A[I], A[M] = A[M], A[I]
    """
)
_INSERTION = [
    _tpl(
        f"""
        for I in range(1, N):
            K = A[I]
            J = I - 1
            while J >= 0 and CMP:
                A[J + 1] = A[J]
                {dec}
            A[J + 1] = K
        """
    )
    for dec in ("J -= 1", "J = J - 1")
]

# (kind, template, stable)
_SHAPES: list[tuple[str, list[ast.stmt], bool]] = [
    ("bubble", _BUBBLE, True),
    ("bubble", _BUBBLE_FLAG, True),
    ("bubble", _BUBBLE_WHILE, True),
    ("selection", _SELECTION, False),
    ("selection", _SELECTION_GUARD, False),
    ("insertion", _INSERTION[0], True),
    ("insertion", _INSERTION[1], True),
]


class QuadraticSort(Rule):
    id = "VXR009"
    name = "quadratic_sort"
    action_type = "algorithm_change"
    detector_ids = ("VX104", "VX105", "VX106")
    description = "Replace a hand-written quadratic sort by list.sort()."
    reasoning = (
        "Bubble, selection and insertion sorts make O(n^2) comparisons in Python bytecode; "
        "list.sort() makes O(n log n) comparisons in C and sorts the same list in place."
    )
    effort = "low"

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        why: list[str] = []
        kinds: list[str] = []
        for block in u.statement_blocks(unit.node):
            func = u.enclosing_scope(ctx, block)
            if not isinstance(func, cst.FunctionDef):
                continue
            body = list(block.body)
            parsed: dict[int, ast.stmt | None] = {}
            for i, stmt in enumerate(body):
                if stmt in edits or not isinstance(stmt, cst.For | cst.SimpleStatementLine):
                    continue
                for kind, tpl, stable in _SHAPES:
                    stmts = body[i : i + len(tpl)]
                    if len(stmts) != len(tpl) or not _could_match(stmts[0], tpl[0]):
                        continue
                    trees = [_parsed(ctx, parsed, body, k) for k in range(i, i + len(tpl))]
                    if any(t is None for t in trees):
                        continue
                    found = self._match(ctx, func, stmts, trees, tpl, kind)  # type: ignore[arg-type]
                    if found is None:
                        continue
                    new_code, key_pure, arr = found
                    new = u.leading_comments_kept(stmts[0], u.stmt(new_code))
                    edits[stmts[0]] = u.replace_with(new)
                    for extra in stmts[1:]:
                        edits[extra] = u.remove()
                    kinds.append(f"{kind} sort of {arr}")
                    if not stable and "key=" in new_code:
                        why.append("selection sort is not stable: equal keys may reorder")
                    if not key_pure:
                        why.append("the sort key calls code whose purity is unknown")
                    if not _totally_ordered_list(ctx, func, arr):
                        why.append(f"{arr} is not known to be a list of int or str")
                    break
        return u.finish(unit.node, edits, f"replace the {', '.join(kinds)} with list.sort()", why)

    def _match(  # type: ignore[no-untyped-def]
        self,
        ctx: ModuleContext,
        func: cst.FunctionDef,
        stmts: list[cst.BaseStatement],
        tree: list[ast.stmt],
        tpl: list[ast.stmt],
        kind: str,
    ):
        env: dict[str, ast.AST] = {}
        if len(tree) != len(tpl) or not all(_unify(p, n, env) for p, n in zip(tpl, tree, strict=True)):
            return None
        names = {k: v.id for k, v in env.items() if k in _VAR_META and isinstance(v, ast.Name)}
        if len(names) != len([k for k in env if k in _VAR_META]):
            return None
        if len(set(names.values())) != len(names):
            return None
        arr = names["A"]
        n_forms = _n_forms(ctx, func, stmts[0], arr)
        if n_forms is None:
            return None
        if not self._ranges_ok(env, names, kind, n_forms):
            return None
        order = _order(env["CMP"], names, kind)
        if order is None:
            return None
        reverse, key, key_pure = order
        if key is not None:
            key = _key_source(ctx, stmts, env["CMP"], *key)
            if key is None:
                return None
        loop_vars = [names[k] for k in ("I", "J", "M", "K", "SW") if k in names]
        if not u.dead_outside(ctx, func, stmts, loop_vars):
            return None
        args = []
        if key is not None:
            args.append(f"key={key}")
        if reverse:
            args.append("reverse=True")
        call = f"{arr}.sort({', '.join(args)})"
        if key is not None:
            # the loops never evaluate the key for fewer than two items; sort() would
            call = f"if len({arr}) > 1:\n    {call}\n"
        return call, key_pure, arr

    @staticmethod
    def _ranges_ok(env, names, kind, n_forms) -> bool:  # type: ignore[no-untyped-def]
        i = names.get("I")
        dumps = {
            "n": {_d(f"{n}") for n in n_forms},
            "n-1": {_d(f"{n} - 1") for n in n_forms},
        }
        if kind == "insertion":
            return _k(env["N"]) in dumps["n"]
        if kind == "selection":
            return _k(env["N"]) in dumps["n"] and _k(env["R_OUT"]) in (
                dumps["n"] | dumps["n-1"]
            )
        r_in = _k(env["R_IN"])
        if "R_OUT" not in env:  # the while-swapped form
            return r_in in dumps["n-1"]
        inner_ok = r_in in dumps["n-1"] | {
            _d(f"{n} - {i} - 1") for n in n_forms
        } | {_d(f"{n} - 1 - {i}") for n in n_forms}
        return _k(env["R_OUT"]) in (dumps["n"] | dumps["n-1"]) and inner_ok


def _could_match(first: cst.BaseStatement, tpl_first: ast.stmt) -> bool:
    """Cheap structural pre-check before parsing the statement with ``ast``."""
    if isinstance(tpl_first, ast.For):
        return isinstance(first, cst.For) and any(
            isinstance(n, cst.For | cst.While) for n in u.walk(first.body)
        )
    return isinstance(first, cst.SimpleStatementLine)


def _parsed(
    ctx: ModuleContext, cache: dict[int, ast.stmt | None], body: list[cst.BaseStatement], k: int
) -> ast.stmt | None:
    """``body[k]`` as an ``ast`` statement (``range(0, x)`` normalised), parsed once."""
    if k not in cache:
        code = textwrap.dedent(_strip_comments(ctx.code(body[k])))
        try:
            tree = ast.parse(code).body
        except SyntaxError:
            tree = []
        cache[k] = _RangeZero().visit(tree[0]) if len(tree) == 1 else None
    return cache[k]


def _k(node: ast.AST) -> str:
    """Comparison key of an expression: its normalised source (load/store contexts do not
    matter)."""
    return ast.unparse(node)


def _d(code: str) -> str:
    return _k(ast.parse(code, mode="eval").body)


def _strip_comments(code: str) -> str:
    return "".join(
        line + "\n" for line in code.splitlines() if not line.strip().startswith("#")
    )


class _RangeZero(ast.NodeTransformer):
    """``range(0, x)`` -> ``range(x)``."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "range"
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == 0
            and type(node.args[0].value) is int
        ):
            node.args = [node.args[1]]
        return node


def _unify(pat: object, node: object, env: dict[str, ast.AST]) -> bool:
    if isinstance(pat, ast.Name) and pat.id in _META:
        if not isinstance(node, ast.expr):
            return False
        if pat.id in _VAR_META and not isinstance(node, ast.Name):
            return False
        if pat.id in env:
            return _k(env[pat.id]) == _k(node)
        env[pat.id] = node
        return True
    if isinstance(pat, list):
        return (
            isinstance(node, list)
            and len(pat) == len(node)
            and all(_unify(p, n, env) for p, n in zip(pat, node, strict=True))
        )
    if isinstance(pat, ast.AST):
        if type(pat) is not type(node):
            return False
        for f in pat._fields:
            if f in ("type_comment", "kind"):
                continue
            if not _unify(getattr(pat, f, None), getattr(node, f, None), env):
                return False
        return True
    return pat == node


def _n_forms(
    ctx: ModuleContext, func: cst.FunctionDef, first: cst.BaseStatement, arr: str
) -> set[str] | None:
    """Spellings of the list's length usable in the ranges: ``len(a)`` and every name
    bound exactly once in the function, to ``len(a)``, before the loop."""
    if not u.builtin_available(ctx, "len") or not u.builtin_available(ctx, "range"):
        return None
    forms = {f"len({arr})"}
    order = u.preorder_index(func)
    for name in u.bound_names(ctx, func.body):
        stores = [n for n in u.var_names(ctx, func.body, name) if u.is_store(ctx, n)]
        if len(stores) != 1:
            continue
        assign = u.enclosing_statement(ctx, stores[0])
        a = u.single_assign(assign) if assign is not None else None
        if a is None or a[0] != name or ctx.code(a[1]).replace(" ", "") != f"len({arr})":
            continue
        if assign is not None and order[assign] < order[first]:
            forms.add(name)
    return forms


def _order(cmp: ast.AST, names: dict[str, str], kind: str):  # type: ignore[no-untyped-def]
    """(reverse, key lambda source or None, key is pure) from the comparison, or None."""
    if not (isinstance(cmp, ast.Compare) and len(cmp.ops) == 1):
        return None
    op = cmp.ops[0]
    if not isinstance(op, ast.Gt | ast.Lt):
        return None
    a, j = names["A"], names["J"]
    if kind == "bubble":
        lo, hi = f"{a}[{j}]", f"{a}[{j} + 1]"
        ascending_op = ast.Gt  # swap when lo > hi
    elif kind == "selection":
        lo, hi = f"{a}[{j}]", f"{a}[{names['M']}]"
        ascending_op = ast.Lt  # pick j when a[j] < a[m]
    else:
        lo, hi = f"{a}[{j}]", names["K"]
        ascending_op = ast.Gt  # shift while a[j] > key
    left, right = cmp.left, cmp.comparators[0]
    for first, second, flipped in ((lo, hi, False), (hi, lo, True)):
        e1 = _hole(left, first)
        e2 = _hole(right, second)
        if e1 is None or e2 is None or _k(e1) != _k(e2):
            continue
        used = {n.id for n in ast.walk(e1) if isinstance(n, ast.Name)}
        if used & set(names.values()):
            return None
        ascending = isinstance(op, ascending_op) != flipped
        if isinstance(e1, ast.Name) and e1.id == _HOLE:
            return (not ascending, None, True)
        param = "item"
        while param in used:
            param += "_"
        pure = all(
            isinstance(c.func, ast.Name) and c.func.id in u.PURE_BUILTINS
            for c in ast.walk(e1)
            if isinstance(c, ast.Call)
        )
        return (not ascending, (first, param), pure)
    return None


_HOLE = "__velox_hole__"


def _key_source(  # type: ignore[no-untyped-def]
    ctx: ModuleContext, stmts, cmp: ast.AST, target: str, param: str
) -> str | None:
    """``lambda param: <left operand with target replaced>``, spelled as in the source."""
    want = _k(cmp)
    for s in stmts:
        for node in u.walk(s):
            if not isinstance(node, cst.Comparison):
                continue
            try:
                same = _k(ast.parse(ctx.code(node).strip(), mode="eval").body) == want
            except SyntaxError:
                continue
            if not same:
                continue
            for operand in (node.left, node.comparisons[0].comparator):
                for sub in u.walk(operand):
                    if isinstance(sub, cst.BaseExpression) and _norm(ctx, sub) == _d(target):
                        body = operand.deep_replace(sub, cst.Name(param))
                        code = cst.Module(body=[]).code_for_node(body)
                        return f"lambda {param}: {code}"
    return None


def _norm(ctx: ModuleContext, e: cst.BaseExpression) -> str | None:
    try:
        return _k(ast.parse(ctx.code(e).strip(), mode="eval").body)
    except SyntaxError:
        return None


def _hole(expr: ast.AST, target: str) -> ast.AST | None:
    """``expr`` with its single occurrence of ``target`` replaced by a placeholder name."""
    want = _d(target)
    count = 0

    class _Sub(ast.NodeTransformer):
        def visit(self, node: ast.AST) -> ast.AST:
            nonlocal count
            if isinstance(node, ast.expr) and _k(node) == want:
                count += 1
                return ast.Name(id=_HOLE, ctx=ast.Load())
            return super().visit(node)

    import copy

    out = _Sub().visit(copy.deepcopy(expr))
    return out if count == 1 else None


def _totally_ordered_list(ctx: ModuleContext, func: cst.FunctionDef, arr: str) -> bool:
    for p in u.params_of(func):
        if p.name.value == arr:
            ann = u.annotation_text(ctx, p) or ""
            return bool(re.fullmatch(r"(list|List)\[(int|str)\]", ann))
    return False
