"""VXR001 - memoize a pure recursive function that recomputes overlapping subproblems.

A function that calls itself more than once per activation (or from inside a loop)
recomputes the same subproblems exponentially often. ``functools.lru_cache(maxsize=None)``
computes each distinct argument tuple once.

Fires on a function (top-level, or nested inside a unit) that calls itself at two or more
sites or from a loop, is not a generator, coroutine, method or decorated function, has no
mutable default, does no I/O, declares no ``global``/``nonlocal``, mutates none of its
arguments, returns a value (a procedure runs for its effects, e.g. sqlparse's grouping
walkers that regroup the token tree they are given) and returns no freshly built
container (a cached list would be shared by every caller). The candidate is marked for verification unless every argument is annotated
with a hashable type, every call inside is to itself or a pure builtin, and every outside
name it reads is stable (a module constant bound once and never mutated, or an enclosing
function's local bound before the definition and never changed).

Bad::

    def fibonacci(n):
        if n <= 1:
            return n
        return fibonacci(n - 1) + fibonacci(n - 2)

Good::

    from functools import lru_cache

    @lru_cache(maxsize=None)
    def fibonacci(n):
        if n <= 1:
            return n
        return fibonacci(n - 1) + fibonacci(n - 2)
"""

from __future__ import annotations

import builtins
import re

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule

_HASHABLE = re.compile(
    r"(int|str|float|bool|bytes|complex|None|frozenset(\[.*\])?|tuple(\[.*\])?"
    r"|Optional\[(int|str|float|bool|bytes)\]|(int|str|float|bool|bytes)\|None)"
)
# annotations that say the argument is a mutable container or a one-shot iterator: a cache
# would raise TypeError on it (unhashable) or hand back what an earlier call built
_UNHASHABLE = re.compile(
    r"((typing|collections\.abc)\.)?(list|dict|set|bytearray|List|Dict|Set|DefaultDict"
    r"|Iterable|Iterator|Generator|Sequence|MutableSequence|Mapping|MutableMapping"
    r"|MutableSet|Collection)\b.*"
)
_CONTAINERS = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.SetComp, cst.DictComp)
_PURE_MODULES = frozenset({"math", "operator", "cmath", "string"})
# modules whose functions do I/O or depend on time, randomness or the environment
_IMPURE_MODULES = frozenset(
    {"random", "time", "datetime", "os", "sys", "io", "logging", "subprocess", "socket",
     "shutil", "pathlib", "requests", "urllib", "secrets", "uuid", "tempfile", "threading"}
)  # fmt: skip


class MemoizeRecursion(Rule):
    id = "VXR001"
    name = "memoize_recursion"
    action_type = "caching_strategy"
    detector_ids = ("VX103",)
    description = "Memoize a pure recursive function with functools.lru_cache(maxsize=None)."
    reasoning = (
        "The function calls itself on overlapping subproblems, so the same arguments are "
        "recomputed exponentially often; a cache computes each distinct call once."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        targets = [
            f
            for f in u.walk(unit.node)
            if isinstance(f, cst.FunctionDef) and not (f is unit.node and unit.class_node)
        ]
        edits: dict[cst.CSTNode, u.Edit] = {}
        unproven: list[str] = []
        names: list[str] = []
        ref = None
        for func in targets:
            verdict = self._check(ctx, unit, func)
            if verdict is None:
                continue
            if ref is None:
                ref = ctx.reference("functools", "lru_cache", prefer_from=True)
                if ref is None:
                    return None
            deco = cst.Decorator(decorator=u.expr(f"{ref[0]}(maxsize=None)"))
            edits[func] = lambda upd, d=deco: upd.with_changes(decorators=[d])
            unproven.extend(verdict)
            names.append(func.name.value)
        if not edits or ref is None:
            return None
        new = u.apply_edits(unit.node, edits)
        return Rewrite(
            new_node=new,
            summary=f"memoize {', '.join(names)} with lru_cache(maxsize=None)",
            needs_verification=bool(unproven),
            unproven="; ".join(dict.fromkeys(unproven)),
            imports=[ref[1]] if ref[1] else [],
        )

    def _check(
        self, ctx: ModuleContext, unit: FunctionUnit, func: cst.FunctionDef
    ) -> list[str] | None:
        """None when the rule must not fire; else the list of unproven preconditions."""
        name = func.name.value
        if func.asynchronous is not None or func.decorators:
            return None
        body_nodes = list(u.walk_same_scope(func.body))
        if any(isinstance(n, cst.Yield | cst.Await) for n in body_nodes):
            return None
        if any(isinstance(n, cst.Global | cst.Nonlocal) for n in body_nodes):
            return None
        local = u.bound_names(ctx, func.body) | set(u.param_names(func))
        if name in local:
            return None  # the name is rebound inside; calls may not be recursive
        self_calls = [
            n for n in body_nodes if isinstance(n, cst.Call) and u.is_name(n.func, name)
        ]
        if not self_calls:
            return None
        in_loop = any(u.loops_between(ctx, c, func) for c in self_calls)
        if len(self_calls) < 2 and not in_loop:
            return None  # linear recursion: nothing is recomputed
        if not any(isinstance(n, cst.Return) and n.value is not None for n in body_nodes):
            return None  # a procedure runs for its effects: a cache would only skip them
        for p in u.params_of(func):
            if p.default is not None and _mutable_display(p.default):
                return None
            ann = u.annotation_text(ctx, p)
            if ann is not None and _UNHASHABLE.fullmatch(ann.strip()):
                return None  # mistune's tree walker takes Iterable[Dict[...]]
        for n in body_nodes:
            if isinstance(n, cst.Return) and n.value is not None and _fresh_container(n.value):
                return None
        params = set(u.param_names(func))
        for p in params:
            for occ in u.var_names(ctx, func.body, p):
                if not _no_mutation(ctx, occ):
                    return None
        if _mutates_outside_state(ctx, body_nodes, local | {name}):
            return None
        unproven: list[str] = []
        for n in body_nodes:
            if not isinstance(n, cst.Call):
                continue
            fname = u.called_name(n)
            if fname in u.IMPURE_BUILTINS:
                return None
            if fname == name or (fname in u.PURE_BUILTINS and u.builtin_available(ctx, fname)):
                continue
            mc = u.method_call(n)
            root = _root_name(n.func)
            if root is not None and root not in local and root in _IMPURE_MODULES:
                return None
            if mc is not None and u.is_name(mc[0]) and mc[0].value in _PURE_MODULES:
                continue
            if mc is not None and mc[1] in u.MUTATING_METHODS:
                return None
            if mc is not None and mc[1] in u.READONLY_METHODS:
                continue
            unproven.append(f"calls {ctx.code(n.func)}(), whose purity is unknown")
        for p in u.params_of(func):
            ann = u.annotation_text(ctx, p)
            if p.star in ("*", "**") and ann is None:
                unproven.append("argument hashability not proven (*args/**kwargs)")
            elif ann is None:
                unproven.append(f"argument hashability not proven: {p.name.value} unannotated")
            elif not _HASHABLE.fullmatch(ann):
                unproven.append(f"argument {p.name.value}: {ann} may be unhashable")
        free = _free_loads(ctx, func, local | {name})
        for fv in sorted(free):
            if not _stable_free_name(ctx, unit, func, fv):
                unproven.append(f"reads {fv}, which may change between calls")
        return unproven


def _root_name(e: cst.BaseExpression) -> str | None:
    while isinstance(e, cst.Attribute | cst.Subscript | cst.Call):
        e = e.func if isinstance(e, cst.Call) else e.value
    return e.value if isinstance(e, cst.Name) else None


def _mutates_outside_state(
    ctx: ModuleContext, body_nodes: list[cst.CSTNode], local: set[str]
) -> bool:
    """The function stores into, deletes from, or calls a mutating method on an object
    reached from a name it does not bind itself (a global or closure variable)."""
    for n in body_nodes:
        if isinstance(n, cst.Attribute | cst.Subscript) and u.is_store(ctx, n):  # type: ignore[arg-type]
            root = _root_name(n)
            if root is not None and root not in local:
                return True
        mc = u.method_call(n)
        if mc is not None and mc[1] in u.MUTATING_METHODS:
            root = _root_name(mc[0])
            if root is not None and root not in local:
                return True
    return False


def _mutable_display(e: cst.BaseExpression) -> bool:
    return isinstance(e, _CONTAINERS) or (
        isinstance(e, cst.Call) and u.called_name(e) in ("list", "dict", "set", "bytearray")
    )


def _fresh_container(e: cst.BaseExpression) -> bool:
    return _mutable_display(e) or (
        isinstance(e, cst.Call) and u.called_name(e) in ("sorted", "defaultdict", "Counter")
    )


def _no_mutation(ctx: ModuleContext, occ: cst.Name) -> bool:
    """An occurrence of a parameter that does not rebind or mutate it in place."""
    if u.is_store(ctx, occ):
        return False
    p = ctx.parents.get(occ)
    if isinstance(p, cst.Attribute | cst.Subscript) and p.value is occ:
        if ctx.expr_ctx.get(p) is not None and u.is_store(ctx, p):  # type: ignore[arg-type]
            return False
        gp = ctx.parents.get(p)
        if isinstance(p, cst.Attribute) and isinstance(gp, cst.Call) and gp.func is p:
            return p.attr.value not in u.MUTATING_METHODS
        if isinstance(gp, cst.AugAssign) and gp.target is p:
            return False
    return True


def _free_loads(ctx: ModuleContext, func: cst.FunctionDef, local: set[str]) -> set[str]:
    """Names the function reads that it does not bind itself (builtins excluded)."""
    out = set()
    for n in u.walk(func.body):
        if (
            isinstance(n, cst.Name)
            and n.value not in local
            and ctx.expr_ctx.get(n) is not None
            and not u.is_store(ctx, n)
        ):
            out.add(n.value)
    return {n for n in out if n not in _BUILTIN_NAMES or n in ctx.stored_names}


def _stable_free_name(
    ctx: ModuleContext, unit: FunctionUnit, func: cst.FunctionDef, fv: str
) -> bool:
    if fv in _PURE_MODULES and ctx.module_imports.get(fv) == fv:
        return True
    if func is unit.node:
        if fv not in ctx.module_bindings:
            return False
        stores = [n for n in u.var_names(ctx, ctx.module, fv) if u.is_store(ctx, n)]
        if len(stores) != 1 or u.enclosing_scope(ctx, stores[0]) is not None:
            return False
        if isinstance(ctx.parents.get(stores[0]), cst.FunctionDef | cst.ClassDef):
            return True  # a function or class defined once
        others = [n for n in u.var_names(ctx, ctx.module, fv) if n is not stores[0]]
        return all(u.readonly_use(ctx, n) for n in others)
    # a nested function reading its enclosing function's locals: stable when each is bound
    # only before the definition (outside loops) and never mutated afterwards
    outer = u.enclosing_scope(ctx, func)
    if not isinstance(outer, cst.FunctionDef):
        return False
    occs = [n for n in u.var_names(ctx, outer, fv) if not u.contains(func, n)]
    if not any(u.is_store(ctx, n) for n in occs):
        return False
    order = u.preorder_index(outer)
    for occ in occs:
        if u.is_store(ctx, occ):
            if u.loops_between(ctx, occ, outer) or order[occ] > order[func]:
                return False
        elif not u.readonly_use(ctx, occ):
            return False
    return True


_BUILTIN_NAMES = frozenset(builtins.__dict__)
