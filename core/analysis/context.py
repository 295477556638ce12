"""The one walk over a parsed file that feeds every detector.

The walker visits each node once, keeping what detectors need to know about where a node
stands: the enclosing function (qualified name, its loops), the loops around the node in
that function (``for``/``while`` bodies and comprehension generators, but not a ``for``'s
own iterable or ``else`` block, which run once), and the chain of ancestors. Detectors
register the node types they care about; the walker hands them those nodes with the
context (``enter``) and, for functions, calls them again once the body has been walked
(``leave``), when facts such as "this function calls itself twice" are complete.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.analysis.model import Finding, Severity

if TYPE_CHECKING:
    from core.analysis.detectors.base import Detector

_log = logging.getLogger(__name__)

FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_SKIP_FIELDS = frozenset({"ctx", "op", "ops", "type_ignores", "type_comment"})


@dataclass(slots=True)
class Loop:
    """A loop around the current node. ``node`` is the For/While/AsyncFor statement, or the
    ``ast.comprehension`` generator (``owner`` is then the ListComp/SetComp/...)."""

    node: ast.AST
    owner: ast.AST

    @property
    def is_comprehension(self) -> bool:
        return isinstance(self.node, ast.comprehension)

    @property
    def body_root(self) -> ast.AST:
        """The node whose subtree runs on every iteration (for the comprehension: its owner)."""
        return self.owner


@dataclass(slots=True)
class Scope:
    """A function, lambda, class body or the module: where bindings live."""

    node: ast.AST
    qualname: str | None  # None for the module
    kind: str  # "module", "function", "lambda", "class"
    parent: Scope | None = None
    loops: list[Loop] = field(default_factory=list)
    max_loop_depth: int = 0
    self_calls: list[ast.Call] = field(default_factory=list)
    class_name: str | None = None  # for methods: the class they are defined in
    cache: dict[str, Any] = field(default_factory=dict)  # facts computed lazily by detectors

    @property
    def function_name(self) -> str | None:
        """Qualified name of the nearest enclosing function (for Finding.function)."""
        scope: Scope | None = self
        while scope is not None:
            if scope.kind == "function":
                return scope.qualname
            scope = scope.parent
        return None


@dataclass(slots=True)
class FunctionInfo:
    qualname: str
    line: int
    col: int
    max_loop_depth: int
    is_recursive: bool


def note_import(node: ast.Import | ast.ImportFrom, imports: dict[str, str]) -> None:
    """Record what local names an import statement binds (the walker calls this)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                imports[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                imports[top] = top
    elif node.module and not node.level:
        for alias in node.names:
            imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"


Handler = Callable[[ast.AST, "AnalysisContext"], None]


class _Current:
    """Marker: report the function the walk is in."""


class AnalysisContext:
    """State of the walk, handed to every detector callback."""

    def __init__(self, tree: ast.Module, source: str, path: str) -> None:
        self.tree = tree
        self.source = source
        self.path = path
        self.lines = source.splitlines()
        self.stack: list[ast.AST] = []
        self.scope = Scope(tree, None, "module")
        self._module_scope = self.scope
        self.findings: list[Finding] = []
        self.functions: list[FunctionInfo] = []
        self.class_count = 0
        self.detector_errors: list[str] = []
        self.state: dict[str, Any] = {}  # per-detector, per-file state
        self._module_bindings: set[str] | None = None
        # local name -> imported dotted name (``import x``, ``import x as y``,
        # ``from m import n [as k]``), filled in by the walk as it meets imports
        self.imports: dict[str, str] = {}

    # -- where the current node stands ---------------------------------------------------
    @property
    def module_loop_depth(self) -> int:
        """Deepest loop nesting in code outside functions (module and class bodies)."""
        return self._module_scope.max_loop_depth

    @property
    def loops(self) -> list[Loop]:
        return self.scope.loops

    @property
    def in_loop(self) -> bool:
        return bool(self.scope.loops)

    @property
    def parent(self) -> ast.AST | None:
        return self.stack[-2] if len(self.stack) > 1 else None

    def ancestors(self) -> list[ast.AST]:
        """Ancestors of the current node, nearest first."""
        return self.stack[-2::-1]

    @property
    def function_node(self) -> ast.AST | None:
        scope: Scope | None = self.scope
        while scope is not None:
            if scope.kind == "function":
                return scope.node
            scope = scope.parent
        return None

    # -- module-wide facts ---------------------------------------------------------------
    @property
    def module_bindings(self) -> set[str]:
        """Names bound at module level (they shadow builtins)."""
        if self._module_bindings is None:
            from core.analysis import facts

            self._module_bindings = facts.module_bindings(self.tree)
        return self._module_bindings

    def resolves_to(self, func: ast.expr, dotted: str) -> bool:
        """True when ``func`` names ``dotted`` (e.g. ``re.compile``) through this module's
        imports: ``re.compile`` with ``import re``, ``compile`` with ``from re import compile``."""
        imports = self.imports
        if isinstance(func, ast.Name):
            return imports.get(func.id) == dotted
        if isinstance(func, ast.Attribute):
            parts = [func.attr]
            base: ast.expr = func.value
            while isinstance(base, ast.Attribute):
                parts.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in imports:
                return ".".join([imports[base.id], *reversed(parts)]) == dotted
        return False

    def is_builtin(self, func: ast.expr, name: str) -> bool:
        """``func`` is the builtin ``name``, not shadowed by a module-level binding."""
        return (
            isinstance(func, ast.Name)
            and func.id == name
            and name not in self.module_bindings
            and name not in self.imports
        )

    # -- reporting -----------------------------------------------------------------------
    def detector_failed(self, handler: Callable[..., None], node: ast.AST, exc: Exception) -> None:
        """Log a detector's crash and go on with the others."""
        owner = getattr(handler, "__self__", None)
        name = getattr(owner, "id", getattr(handler, "__qualname__", "?"))
        self.detector_errors.append(f"{name}: {type(exc).__name__}: {exc}")
        _log.warning(
            "detector %s failed on %s line %s: %r",
            name, self.path, getattr(node, "lineno", "?"), exc,
        )  # fmt: skip

    def report(
        self,
        detector: Detector,
        node: ast.AST,
        *,
        title: str | None = None,
        fix: str | None = None,
        severity: Severity | None = None,
        end: ast.AST | None = None,
        function: str | None | type[_Current] = _Current,
    ) -> None:
        """Record a finding of ``detector`` spanning ``node`` (to ``end`` when given).
        ``function`` overrides the enclosing function's name (for reports made after the
        walk, from ``finish``)."""
        last = end or node
        line = node.lineno  # type: ignore[attr-defined]
        end_line = getattr(last, "end_lineno", None) or line
        col = self._char_col(line, node.col_offset)  # type: ignore[attr-defined]
        end_col = self._char_col(end_line, getattr(last, "end_col_offset", None) or 0)
        t = title or detector.title
        f = fix or detector.fix
        self.findings.append(
            Finding(
                detector_id=detector.id,
                action_type=detector.action_type,
                severity=severity or detector.severity,
                message=f"{t}: {f}",
                line=line,
                col=col,
                end_line=end_line,
                end_col=end_col,
                function=self.scope.function_name if function is _Current else function,
                title=t,
                fix=f,
            )
        )

    def _char_col(self, line: int, byte_col: int) -> int:
        if 0 < line <= len(self.lines):
            text = self.lines[line - 1]
            if not text.isascii():
                return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))
        return byte_col


class Walker:
    """Walks a tree once, dispatching nodes to the detectors' handlers."""

    def __init__(self, detectors: list[Detector]) -> None:
        self.enter: dict[type, list[Handler]] = {}
        self.leave: dict[type, list[Handler]] = {}
        self.finishers: list[Callable[[AnalysisContext], None]] = []
        for det in detectors:
            for node_type in det.node_types:
                self.enter.setdefault(node_type, []).append(det.check)
            for node_type in det.leave_types:
                self.leave.setdefault(node_type, []).append(det.leave)
            if det.has_finish:
                self.finishers.append(det.finish)
        self._special: dict[type, Callable[[AnalysisContext, Any], None]] = {
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.Lambda: self._lambda,
            ast.ClassDef: self._class,
            ast.For: self._for,
            ast.AsyncFor: self._for,
            ast.While: self._while,
            ast.ListComp: self._comprehension,
            ast.SetComp: self._comprehension,
            ast.GeneratorExp: self._comprehension,
            ast.DictComp: self._comprehension,
        }
        self._fields: dict[type, tuple[str, ...]] = {}

    def run(self, ctx: AnalysisContext) -> None:
        self._visit(ctx, ctx.tree)
        for finish in self.finishers:
            try:
                finish(ctx)
            except Exception as exc:
                ctx.detector_failed(finish, ctx.tree, exc)

    # -- generic traversal ---------------------------------------------------------------
    def _visit(self, ctx: AnalysisContext, node: ast.AST) -> None:
        cls = node.__class__
        ctx.stack.append(node)
        handlers = self.enter.get(cls)
        if handlers:
            for handler in handlers:
                try:
                    handler(node, ctx)
                except Exception as exc:  # a detector bug must not cost the file its analysis
                    ctx.detector_failed(handler, node, exc)
        if cls is ast.Call:
            self._note_self_call(ctx, node)  # type: ignore[arg-type]
        elif cls is ast.Import or cls is ast.ImportFrom:
            note_import(node, ctx.imports)  # type: ignore[arg-type]
        special = self._special.get(cls)
        if special is not None:
            special(ctx, node)
        else:
            self._children(ctx, node)
        ctx.stack.pop()

    def _children(self, ctx: AnalysisContext, node: ast.AST) -> None:
        fields = self._fields.get(node.__class__)
        if fields is None:
            fields = tuple(f for f in node._fields if f not in _SKIP_FIELDS)
            self._fields[node.__class__] = fields
        visit = self._visit
        for name in fields:
            value = getattr(node, name, None)
            if value is None:
                continue
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        visit(ctx, item)
            elif isinstance(value, ast.AST):
                visit(ctx, value)

    def _visit_all(self, ctx: AnalysisContext, nodes: list[Any]) -> None:
        for item in nodes:
            if isinstance(item, ast.AST):
                self._visit(ctx, item)

    # -- scopes --------------------------------------------------------------------------
    def _function(self, ctx: AnalysisContext, node: ast.FunctionDef) -> None:
        self._visit_all(ctx, node.decorator_list)
        self._visit(ctx, node.args)
        if node.returns is not None:
            self._visit(ctx, node.returns)
        outer = ctx.scope
        prefix = f"{outer.qualname}." if outer.qualname else ""
        scope = Scope(node, f"{prefix}{node.name}", "function", outer)
        if outer.kind == "class":
            scope.class_name = outer.node.name  # type: ignore[attr-defined]
        ctx.scope = scope
        self._visit_all(ctx, node.body)
        for handler in self.leave.get(node.__class__, ()):
            try:
                handler(node, ctx)
            except Exception as exc:
                ctx.detector_failed(handler, node, exc)
        ctx.scope = outer
        ctx.functions.append(
            FunctionInfo(
                scope.qualname or node.name,
                node.lineno,
                node.col_offset,
                scope.max_loop_depth,
                bool(scope.self_calls),
            )
        )

    def _lambda(self, ctx: AnalysisContext, node: ast.Lambda) -> None:
        self._visit(ctx, node.args)
        outer = ctx.scope
        ctx.scope = Scope(node, outer.qualname, "lambda", outer)
        self._visit(ctx, node.body)
        ctx.scope = outer

    def _class(self, ctx: AnalysisContext, node: ast.ClassDef) -> None:
        ctx.class_count += 1
        self._visit_all(ctx, node.decorator_list)
        self._visit_all(ctx, node.bases)
        self._visit_all(ctx, node.keywords)
        outer = ctx.scope
        prefix = f"{outer.qualname}." if outer.qualname else ""
        ctx.scope = Scope(node, f"{prefix}{node.name}", "class", outer)
        self._visit_all(ctx, node.body)
        for handler in self.leave.get(ast.ClassDef, ()):
            handler(node, ctx)
        ctx.scope = outer

    # -- loops ---------------------------------------------------------------------------
    def _push(self, ctx: AnalysisContext, loop: Loop) -> None:
        loops = ctx.scope.loops
        loops.append(loop)
        if len(loops) > ctx.scope.max_loop_depth:
            ctx.scope.max_loop_depth = len(loops)

    def _for(self, ctx: AnalysisContext, node: ast.For) -> None:
        self._visit(ctx, node.iter)
        self._push(ctx, Loop(node, node))
        self._visit(ctx, node.target)
        self._visit_all(ctx, node.body)
        ctx.scope.loops.pop()
        self._visit_all(ctx, node.orelse)

    def _while(self, ctx: AnalysisContext, node: ast.While) -> None:
        self._push(ctx, Loop(node, node))
        self._visit(ctx, node.test)
        self._visit_all(ctx, node.body)
        ctx.scope.loops.pop()
        self._visit_all(ctx, node.orelse)

    def _comprehension(self, ctx: AnalysisContext, node: Any) -> None:
        pushed = 0
        for gen in node.generators:
            ctx.stack.append(gen)
            # the first iterable is visited before any push: it is evaluated once, outside
            self._visit(ctx, gen.iter)
            self._push(ctx, Loop(gen, node))
            pushed += 1
            self._visit(ctx, gen.target)
            self._visit_all(ctx, gen.ifs)
            ctx.stack.pop()
        if isinstance(node, ast.DictComp):
            self._visit(ctx, node.key)
            self._visit(ctx, node.value)
        else:
            self._visit(ctx, node.elt)
        del ctx.scope.loops[len(ctx.scope.loops) - pushed :]

    # -- recursion -----------------------------------------------------------------------
    @staticmethod
    def _note_self_call(ctx: AnalysisContext, node: ast.Call) -> None:
        scope = ctx.scope
        if scope.kind != "function":
            return
        name = scope.node.name  # type: ignore[attr-defined]
        func = node.func
        if isinstance(func, ast.Name):
            if func.id != name or scope.class_name is not None:
                return
        elif not (
            isinstance(func, ast.Attribute)
            and func.attr == name
            and scope.class_name is not None
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
        ):
            return
        scope.self_calls.append(node)
        # where the call sits, for detectors that reason about branches (VX103)
        scope.cache.setdefault("self_call_paths", {})[id(node)] = tuple(ctx.stack)
