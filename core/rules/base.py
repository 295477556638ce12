"""The shape every rewrite rule shares, and the per-module context rules read.

A rule looks at one *unit* at a time: a top-level function or a method of a top-level
class (the things verification can call by qualified name). It returns a `Rewrite`: the
unit's new ``FunctionDef`` plus the imports and module-level statements it needs, or
``None`` when it does not apply. The engine (``core.rules.engine``) turns each rewrite into
one whole-module `RewriteCandidate`, so every (rule, function) pair is verified on its own.

The module is parsed once with LibCST; every rule reads the same tree and the same resolved
metadata (parents, expression contexts). Nodes are compared by identity, so a rule must
only hand back nodes it found in ``ctx.module`` as keys for replacement.
"""

from __future__ import annotations

import builtins
import contextlib
import contextvars
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst
from libcst.metadata import (
    ExpressionContext,
    ExpressionContextProvider,
    MetadataWrapper,
)

from core.actions import PRODUCTION_ACTION_TYPES
from core.optimize.candidate import Effort


@dataclass(frozen=True, slots=True)
class ImportSpec:
    """``import module`` (obj None) or ``from module import obj``."""

    module: str
    obj: str | None = None


@dataclass(frozen=True, slots=True)
class FunctionUnit:
    """A callable unit: a top-level function or a method of a top-level class."""

    qualname: str
    node: cst.FunctionDef
    class_node: cst.ClassDef | None = None


@dataclass(slots=True)
class Rewrite:
    """What a rule proposes for one unit."""

    new_node: cst.FunctionDef
    summary: str  # one line naming the concrete change, e.g. "memoize fib with lru_cache"
    needs_verification: bool = False
    unproven: str = ""  # which precondition could not be proven, when needs_verification
    imports: list[ImportSpec] = field(default_factory=list)
    # statements inserted at module level after the imports (e.g. compiled regexes), and
    # after the top-level assignment of each name in ``module_anchors`` (names they read)
    module_statements: list[cst.SimpleStatementLine] = field(default_factory=list)
    module_anchors: list[str] = field(default_factory=list)


class ModuleContext:
    """One parse of one module plus the facts every rule needs about it."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
        self.module: cst.Module = self.wrapper.module
        self.expr_ctx = self.wrapper.resolve(ExpressionContextProvider)
        self.units: list[FunctionUnit] = list(_collect_units(self.module))
        self.all_names: set[str] = set()
        # names rebound anywhere in the module (assigned, deleted, declared global/nonlocal):
        # a builtin whose name is here may be shadowed
        self.stored_names: set[str] = set()
        # child -> parent, built in the same walk (cheaper than ParentNodeProvider)
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        stack: list[cst.CSTNode] = [self.module]
        while stack:
            n = stack.pop()
            kids = children_reversed(n)
            for k in kids:
                self.parents[k] = n
            stack.extend(kids)
            if isinstance(n, cst.Name):
                self.all_names.add(n.value)
                if self.expr_ctx.get(n) in (ExpressionContext.STORE, ExpressionContext.DEL):
                    self.stored_names.add(n.value)
            elif isinstance(n, cst.Global | cst.Nonlocal):
                self.stored_names.update(item.name.value for item in n.names)
            elif isinstance(n, cst.ImportAlias) and n.asname is None:
                self.stored_names.add(_dotted(n.name).split(".")[0])
        self._name_index: dict[cst.CSTNode, dict[str, list[cst.Name]]] = {}
        self.module_imports: dict[str, str] = {}  # module -> local alias ("import m as a")
        self.from_imports: dict[tuple[str, str], str] = {}  # (module, obj) -> local alias
        self.module_bindings: set[str] = set()
        self._scan_module_level()
        self._reserved: set[str] = set()

    # -- names -------------------------------------------------------------------------
    def variables_in(self, node: cst.CSTNode) -> dict[str, list[cst.Name]]:
        """Variable occurrences (names with an expression context) under ``node``, by
        name, in source order; computed once per node."""
        index = self._name_index.get(node)
        if index is None:
            index = {}
            for n in _walk(node):
                if isinstance(n, cst.Name) and n in self.expr_ctx:
                    index.setdefault(n.value, []).append(n)
            self._name_index[node] = index
        return index

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def fresh_name(self, base: str, avoid: set[str] | None = None) -> str:
        """A name not used anywhere in the module (nor reserved by this rule run)."""
        base = re.sub(r"\W", "_", base) or "tmp"
        if base[0].isdigit():
            base = "_" + base
        taken = self.all_names | self._reserved | (avoid or set())
        name, n = base, 2
        while name in taken or name in _KEYWORDS:
            name, n = f"{base}_{n}", n + 1
        self._reserved.add(name)
        return name

    def fresh_local(self, scope: cst.CSTNode, base: str) -> str:
        """A name for a new local variable: unused in ``scope`` (the unit), not bound at
        module level, not a builtin, not reserved by this rule run."""
        base = re.sub(r"\W", "_", base) or "tmp"
        if base[0].isdigit():
            base = "_" + base
        used = {n.value for n in _walk(scope) if isinstance(n, cst.Name)}
        taken = used | self.module_bindings | self._reserved | _BUILTINS
        name, n = base, 2
        while name in taken or name in _KEYWORDS:
            name, n = f"{base}_{n}", n + 1
        self._reserved.add(name)
        return name

    def reset_reserved(self) -> None:
        self._reserved.clear()

    def reference(
        self, module: str, obj: str | None = None, *, prefer_from: bool = False
    ) -> tuple[str, ImportSpec | None] | None:
        """How to spell ``module.obj`` in this module, and the import it needs (or None).

        Reuses an existing module-level import; never introduces a name that is already
        used anywhere in the module (so no local or global can shadow it). Returns None
        when no safe spelling exists.
        """
        if obj is not None and (module, obj) in self.from_imports:
            return self.from_imports[(module, obj)], None
        if module in self.module_imports:
            alias = self.module_imports[module]
            return (f"{alias}.{obj}" if obj else alias), None
        if obj is not None and prefer_from and obj not in self.all_names:
            return obj, ImportSpec(module, obj)
        if module.split(".")[0] not in self.all_names:
            return (f"{module}.{obj}" if obj else module), ImportSpec(module)
        return None

    def _scan_module_level(self) -> None:
        for stmt in self.module.body:
            if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
                self.module_bindings.add(stmt.name.value)
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        dotted = _dotted(alias.name)
                        if alias.asname is not None:
                            local = _dotted(alias.asname.name)
                            self.module_imports[dotted] = local
                            self.module_bindings.add(local)
                        elif "." not in dotted:
                            self.module_imports[dotted] = dotted
                            self.module_bindings.add(dotted)
                        else:
                            self.module_bindings.add(dotted.split(".")[0])
                elif isinstance(small, cst.ImportFrom) and small.module is not None:
                    if small.relative or isinstance(small.names, cst.ImportStar):
                        continue
                    mod = _dotted(small.module)
                    for alias in small.names:
                        obj = _dotted(alias.name)
                        local = _dotted(alias.asname.name) if alias.asname else obj
                        self.from_imports[(mod, obj)] = local
                        self.module_bindings.add(local)
                elif isinstance(small, cst.Assign):
                    for target in small.targets:
                        for n in _walk(target.target):
                            if isinstance(n, cst.Name):
                                self.module_bindings.add(n.value)
                elif isinstance(small, cst.AnnAssign | cst.AugAssign) and isinstance(
                    small.target, cst.Name
                ):
                    self.module_bindings.add(small.target.value)


class Rule:
    """Base class: subclasses set the class attributes and implement `rewrite_unit`."""

    id: ClassVar[str]
    name: ClassVar[str]  # short snake_case name
    action_type: ClassVar[str]  # one of core.actions.PRODUCTION_ACTION_TYPES
    detector_ids: ClassVar[tuple[str, ...]]
    description: ClassVar[str]  # one line: what the rewrite does
    reasoning: ClassVar[str]  # why it is faster or leaner
    effort: ClassVar[Effort] = "low"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not re.fullmatch(r"VXR\d{3}", cls.id):
            raise ValueError(f"rule id {cls.id!r} must look like VXR001")
        if cls.action_type not in PRODUCTION_ACTION_TYPES:
            raise ValueError(f"rule {cls.id}: unknown action type {cls.action_type!r}")

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        """The rule's documentation: its module docstring (bad and good code included)."""
        import sys

        return (sys.modules[cls.__module__].__doc__ or "").strip()


def _collect_units(module: cst.Module) -> Iterator[FunctionUnit]:
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            yield FunctionUnit(stmt.name.value, stmt)
        elif isinstance(stmt, cst.ClassDef):
            for item in stmt.body.body:
                if isinstance(item, cst.FunctionDef):
                    yield FunctionUnit(f"{stmt.name.value}.{item.name.value}", item, stmt)


# LibCST computes ``node.children`` by running a visitor on every access, which dominates
# the rules' running time. Nodes are immutable, so their children are cached while a run
# of the rules lasts (`children_cache`); the cache is per thread/task (a ContextVar).
_CHILDREN: contextvars.ContextVar[dict[cst.CSTNode, tuple[cst.CSTNode, ...]] | None] = (
    contextvars.ContextVar("velox_rules_children", default=None)
)


@contextlib.contextmanager
def children_cache() -> Iterator[None]:
    token = _CHILDREN.set({})
    try:
        yield
    finally:
        _CHILDREN.reset(token)


def children_reversed(node: cst.CSTNode) -> tuple[cst.CSTNode, ...]:
    """``node.children`` in reverse order (for stack-based walks), cached when in a
    `children_cache` block."""
    cache = _CHILDREN.get()
    if cache is None:
        return tuple(reversed(node.children))
    kids = cache.get(node)
    if kids is None:
        kids = tuple(reversed(node.children))
        cache[node] = kids
    return kids


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(children_reversed(n))


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


_BUILTINS = frozenset(builtins.__dict__)

_KEYWORDS = frozenset(__import__("keyword").kwlist + __import__("keyword").softkwlist)
