"""Facts detectors need to prove their case, computed lazily and cached per scope or loop.

Detectors only fire when they can show what they claim: that a name is a list built in
this function, that an expression does not change between loop iterations, that a
name is used exactly once. Each fact is computed on first request by a walk over the one
function or loop concerned (not the whole file), and cached.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from core.analysis.context import COMPREHENSIONS, AnalysisContext, Loop, Scope

#: Builtins that neither mutate their arguments nor call back into user code that could.
PURE_BUILTINS = frozenset(
    {
        "abs", "all", "any", "ascii", "bin", "bool", "bytes", "callable", "chr", "complex",
        "dict", "divmod", "enumerate", "float", "format", "frozenset", "hash", "hex", "id",
        "int", "isinstance", "issubclass", "iter", "len", "list", "max", "min", "oct", "ord",
        "pow", "print", "range", "repr", "reversed", "round", "set", "slice", "sorted", "str",
        "sum", "tuple", "type", "zip",
    }
)  # fmt: skip

#: Methods of builtin types that do not mutate their receiver.
NON_MUTATING_METHODS = frozenset(
    {
        "copy", "count", "index", "get", "keys", "values", "items", "startswith", "endswith",
        "find", "rfind", "join", "split", "rsplit", "splitlines", "strip", "lstrip", "rstrip",
        "lower", "upper", "casefold", "title", "capitalize", "replace", "format", "encode",
        "decode", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower",
        "partition", "rpartition", "issubset", "issuperset", "isdisjoint", "union",
        "intersection", "difference", "symmetric_difference", "hex", "bit_length", "zfill",
        "ljust", "rjust", "center", "expandtabs", "translate", "most_common", "total",
    }
)  # fmt: skip

#: Library functions (by dotted name) that do not mutate their arguments.
PURE_QUALIFIED = frozenset(
    {
        "copy.copy", "copy.deepcopy", "json.loads", "json.dumps", "math.sqrt", "math.floor",
        "math.ceil", "math.log", "math.exp", "math.fabs", "math.isclose", "math.prod",
        "math.fsum", "re.compile", "re.match", "re.search", "re.fullmatch", "re.findall",
        "re.finditer", "re.sub", "re.subn", "re.split", "re.escape", "os.path.join",
        "os.path.exists", "os.path.isfile", "os.path.isdir", "os.path.basename",
        "os.path.dirname", "os.path.splitext", "os.path.abspath", "statistics.mean",
        "statistics.median", "operator.itemgetter", "operator.attrgetter",
    }
)  # fmt: skip

_LIST_CALLS = frozenset({"list", "sorted"})


def is_pure_call(node: ast.Call, ctx: AnalysisContext) -> bool:
    """The call cannot mutate its arguments: a pure builtin, a known pure library function,
    or a non-mutating method of a builtin type."""
    func = node.func
    if isinstance(func, ast.Name):
        if func.id in PURE_BUILTINS and ctx.is_builtin(func, func.id):
            return True
        return ctx.imports.get(func.id) in PURE_QUALIFIED
    if isinstance(func, ast.Attribute):
        if func.attr in NON_MUTATING_METHODS:
            return True
        return any(ctx.resolves_to(func, q) for q in PURE_QUALIFIED if q.endswith("." + func.attr))
    return False
_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def module_bindings(tree: ast.Module) -> set[str]:
    """Names bound by the module's top-level statements (they shadow builtins)."""
    bindings: set[str] = set()
    for stmt in tree.body:
        bindings.update(_top_level_binders(stmt))
    return bindings


def _top_level_binders(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [stmt.name]
    names: list[str] = []
    if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.For | ast.With):
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.append(node.id)
    elif isinstance(stmt, ast.If | ast.Try):
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                names.extend(_top_level_binders(child))
    return names


# -- bindings of a scope ---------------------------------------------------------------------


@dataclass(slots=True)
class Binding:
    """How a name gets a value in a scope. ``kind`` is one of: param, assign (``value`` is
    the whole right-hand side and the target is the bare name), augassign (``value`` is the
    right operand, ``op`` the operator), other (for-targets, unpacking, with-as, walrus,
    except-as, import, def, comprehension target, del), global (global/nonlocal)."""

    kind: str
    value: ast.expr | None = None
    node: ast.AST | None = None
    op: ast.operator | None = None


@dataclass(slots=True)
class ScopeFacts:
    bindings: dict[str, list[Binding]]
    loads: dict[str, list[ast.Name]]  # includes loads in nested functions (closures)
    methods: dict[str, set[str]]  # name -> methods called on it (``x.append(...)``)


def scope_facts(scope: Scope) -> ScopeFacts:
    cached = scope.cache.get("facts")
    if cached is None:
        cached = _collect_scope(scope.node)
        scope.cache["facts"] = cached
    return cached


def _collect_scope(root: ast.AST) -> ScopeFacts:
    bindings: dict[str, list[Binding]] = {}
    loads: dict[str, list[ast.Name]] = {}
    methods: dict[str, set[str]] = {}

    def bind(name: str, binding: Binding) -> None:
        bindings.setdefault(name, []).append(binding)

    if isinstance(root, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        a = root.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
            if arg is not None:
                bind(arg.arg, Binding("param", node=arg))
        body: list[ast.AST] = [root.body] if isinstance(root, ast.Lambda) else list(root.body)
    elif isinstance(root, ast.Module | ast.ClassDef):
        body = list(root.body)
    else:  # pragma: no cover - scopes are only the kinds above
        body = [root]

    stack: list[tuple[ast.AST, bool]] = [(n, False) for n in reversed(body)]
    while stack:
        node, nested = stack.pop()
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                methods.setdefault(func.value.id, set()).add(func.attr)
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loads.setdefault(node.id, []).append(node)
            elif not nested:
                _bind_name(node, bind)
            continue
        if not nested:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        bind(target.id, Binding("assign", node.value, node))
                    else:
                        stack.append((target, nested))
                stack.append((node.value, nested))
                continue
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if node.value is not None:
                    bind(node.target.id, Binding("assign", node.value, node))
                    stack.append((node.value, nested))
                stack.append((node.annotation, nested))
                continue
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                bind(node.target.id, Binding("augassign", node.value, node, node.op))
                loads.setdefault(node.target.id, []).append(node.target)
                stack.append((node.value, nested))
                continue
            if isinstance(node, ast.Global | ast.Nonlocal):
                for name in node.names:
                    bind(name, Binding("global", node=node))
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    bind((alias.asname or alias.name).split(".")[0], Binding("other", node=node))
                continue
            if isinstance(node, ast.ExceptHandler) and node.name:
                bind(node.name, Binding("other", node=node))
            if isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
                bind(node.name, Binding("other", node=node))
            if isinstance(node, ast.MatchMapping) and node.rest:
                bind(node.rest, Binding("other", node=node))
        elif isinstance(node, ast.Nonlocal):  # a closure rebinds one of our names
            for name in node.names:
                bind(name, Binding("global", node=node))
            continue
        if isinstance(node, _SCOPE_NODES):
            if not nested:
                if not isinstance(node, ast.Lambda):
                    bind(node.name, Binding("other", node=node))
                # decorators and defaults are evaluated in this scope
                for extra in getattr(node, "decorator_list", []):
                    stack.append((extra, nested))
            _push_children(stack, node, True, skip_decorators=True)
            continue
        _push_children(stack, node, nested)
    return ScopeFacts(bindings, loads, methods)


def _bind_name(node: ast.Name, bind: Any) -> None:
    if isinstance(node.ctx, ast.Store | ast.Del):
        bind(node.id, Binding("other", node=node))


def _push_children(
    stack: list[tuple[ast.AST, bool]], node: ast.AST, nested: bool, *, skip_decorators: bool = False
) -> None:
    for name, value in ast.iter_fields(node):
        if skip_decorators and name == "decorator_list":
            continue
        if isinstance(value, list):
            for item in reversed(value):
                if isinstance(item, ast.AST):
                    stack.append((item, nested))
        elif isinstance(value, ast.AST):
            stack.append((value, nested))


def is_list_expr(node: ast.expr | None, ctx: AnalysisContext) -> bool:
    """The expression certainly evaluates to a new list."""
    if isinstance(node, ast.List | ast.ListComp):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in _LIST_CALLS and ctx.is_builtin(node.func, node.func.id)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add):
            return is_list_expr(node.left, ctx) and is_list_expr(node.right, ctx)
        if isinstance(node.op, ast.Mult):
            return is_list_expr(node.left, ctx) or is_list_expr(node.right, ctx)
    return False


def _function_bindings(name: str, ctx: AnalysisContext, scope: Scope | None) -> list[Binding]:
    """``name``'s bindings in ``scope`` (default: the current one) when that is a function
    or the module; none in a class body or a lambda."""
    scope = scope or ctx.scope
    if scope.kind not in ("function", "module"):
        return []
    return scope_facts(scope).bindings.get(name, [])


def is_local_list(name: str, ctx: AnalysisContext, scope: Scope | None = None) -> bool:
    """``name`` is bound in the current function only to lists it builds itself
    (``[]``, ``[...]``, list comprehensions, ``list(...)``, ``sorted(...)``, ``+=``)."""
    bindings = _function_bindings(name, ctx, scope)
    if not bindings:
        return False
    has_assign = False
    for b in bindings:
        if b.kind == "assign" and is_list_expr(b.value, ctx):
            has_assign = True
        elif b.kind == "augassign" and isinstance(b.op, ast.Add):
            continue
        else:
            return False
    return has_assign


def is_str_expr(node: ast.expr | None) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return is_str_expr(node.left) or is_str_expr(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return is_str_expr(node.left)
    return False


def is_local_str(name: str, ctx: AnalysisContext, scope: Scope | None = None) -> bool:
    """``name`` is bound in the current function only to string literals/f-strings and
    grows only by ``+=``."""
    scope = scope or ctx.scope
    bindings = scope_facts(scope).bindings.get(name)
    if not bindings or scope.kind != "function":
        return False
    has_assign = False
    for b in bindings:
        if b.kind == "assign" and is_str_expr(b.value):
            has_assign = True
        elif b.kind == "augassign" and isinstance(b.op, ast.Add):
            continue
        elif (
            b.kind == "assign"
            and isinstance(b.value, ast.BinOp)
            and isinstance(b.value.op, ast.Add)
            and isinstance(b.value.left, ast.Name)
            and b.value.left.id == name
        ):
            continue  # s = s + piece
        else:
            return False
    return has_assign


#: Methods whose result is a str (or bytes) when they are called on one.
_STR_RESULT_METHODS = frozenset(
    {
        "lower", "upper", "casefold", "title", "capitalize", "swapcase", "strip", "lstrip",
        "rstrip", "removeprefix", "removesuffix", "replace", "join", "format", "format_map",
        "zfill", "ljust", "rjust", "center", "expandtabs", "translate", "decode",
    }
)  # fmt: skip


def _is_str_annotation(node: ast.expr | None) -> bool:
    return (isinstance(node, ast.Name) and node.id == "str") or (
        isinstance(node, ast.Constant) and node.value == "str"
    )


def _is_str_value(node: ast.expr | None, ctx: AnalysisContext) -> bool:
    if is_str_expr(node):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in ("str", "repr") and ctx.is_builtin(func, func.id)
        return isinstance(func, ast.Attribute) and func.attr in _STR_RESULT_METHODS
    return False


def is_evident_str(name: str, ctx: AnalysisContext, scope: Scope | None = None) -> bool:
    """``name`` is evidently a string in this scope: every binding is a ``str``-annotated
    parameter, a string literal/f-string, ``str(...)``, the result of a str method
    (``.strip()``, ``.lower()``, ``.join(...)``...) or a ``+=``."""
    bindings = _function_bindings(name, ctx, scope)
    if not bindings:
        return False
    typed = False
    for b in bindings:
        annotated = b.node if isinstance(b.node, ast.arg | ast.AnnAssign) else None
        if annotated is not None and b.kind in ("param", "assign"):
            if not _is_str_annotation(annotated.annotation):
                return False
            typed = True
        elif b.kind == "assign" and _is_str_value(b.value, ctx):
            typed = True
        elif not (b.kind == "augassign" and isinstance(b.op, ast.Add)):
            return False
    return typed


# -- fallbacks for unhashable values ----------------------------------------------------------
#
# ``try: <hash it> except TypeError: <fall back to a list>`` is how careful code handles
# values that may be unhashable (more-itertools' ``unique_everseen``): the list is the
# fallback, and a set or a dict index, which detectors suggest, cannot hold its items.


def catches_type_error(handler: ast.ExceptHandler) -> bool:
    """The handler names ``TypeError`` (alone or in a tuple)."""
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        (isinstance(k, ast.Name) and k.id == "TypeError")
        or (isinstance(k, ast.Attribute) and k.attr == "TypeError")
        for k in kinds
    )


def in_type_error_handler(ctx: AnalysisContext) -> bool:
    """The current node runs inside an ``except TypeError`` handler of the current scope."""
    boundary = ctx.scope.node
    for node in reversed(ctx.stack):
        if node is boundary:
            return False
        if isinstance(node, ast.ExceptHandler) and catches_type_error(node):
            return True
    return False


_GROWING_METHODS = frozenset({"append", "extend", "insert"})


def unhashable_lists(scope: Scope) -> frozenset[str]:
    """Names of the scope that receive items (``append``/``extend``/``insert``/``+=``)
    only inside ``except TypeError`` handlers: lists kept for values that failed hashing."""
    cached = scope.cache.get("unhashable_lists")
    if cached is None:
        sites: dict[str, bool] = {}  # name -> every growth site is in such a handler

        def visit(node: ast.AST, in_handler: bool) -> None:
            if isinstance(node, ast.ExceptHandler) and catches_type_error(node):
                in_handler = True
            grown = None
            if isinstance(node, ast.Call):
                func = node.func
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr in _GROWING_METHODS
                    and isinstance(func.value, ast.Name)
                ):
                    grown = func.value.id
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                grown = node.target.id
            if grown is not None:
                sites[grown] = sites.get(grown, True) and in_handler
            for child in ast.iter_child_nodes(node):
                # growth in a nested function or class is not a fallback of this scope's
                visit(child, in_handler and not isinstance(child, _SCOPE_NODES))

        root = scope.node
        for stmt in [root.body] if isinstance(root, ast.Lambda) else root.body:  # type: ignore[attr-defined]
            visit(stmt, False)
        cached = frozenset(name for name, only in sites.items() if only)
        scope.cache["unhashable_lists"] = cached
    return cached


# -- loops -------------------------------------------------------------------------------------


@dataclass(slots=True)
class LoopFacts:
    stores: set[str]  # names (re)bound on some iteration
    mutated: set[str]  # names whose object may change: mutating method, item/attr store, passed on
    calls: list[ast.Call]  # every call made on an iteration
    has_nested_scope: bool  # a def/lambda/class inside the loop


def loop_region(loop: Loop) -> list[ast.AST]:
    """The nodes evaluated on every iteration of ``loop``."""
    node = loop.node
    if isinstance(node, ast.For | ast.AsyncFor):
        return [node.target, *node.body]
    if isinstance(node, ast.While):
        return [node.test, *node.body]
    owner: Any = loop.owner
    gens = owner.generators
    start = next(i for i, g in enumerate(gens) if g is node)
    region: list[ast.AST] = [node.target, *node.ifs]
    for g in gens[start + 1 :]:
        region.extend([g.iter, g.target, *g.ifs])
    if isinstance(owner, ast.DictComp):
        region.extend([owner.key, owner.value])
    else:
        region.append(owner.elt)
    return region


def loop_facts(loop: Loop, ctx: AnalysisContext) -> LoopFacts:
    key = ("loop", id(loop.node))
    cached = ctx.state.get(key)
    if cached is not None:
        return cached
    stores: set[str] = set()
    mutated: set[str] = set()
    calls: list[ast.Call] = []
    nested = False
    for root in loop_region(loop):
        for node in ast.walk(root):
            if isinstance(node, ast.Name):
                if not isinstance(node.ctx, ast.Load):
                    stores.add(node.id)
            elif isinstance(node, ast.Call):
                calls.append(node)
                _note_call_mutations(node, ctx, mutated)
            elif isinstance(node, ast.Subscript | ast.Attribute):
                if not isinstance(node.ctx, ast.Load):
                    base = root_name(node)
                    if base:
                        mutated.add(base)
            elif isinstance(node, ast.AugAssign):
                base = root_name(node.target)
                if base:
                    mutated.add(base)
            elif isinstance(node, _SCOPE_NODES):
                nested = True
            elif isinstance(node, ast.Global | ast.Nonlocal):
                stores.update(node.names)
    facts = LoopFacts(stores, mutated, calls, nested)
    ctx.state[key] = facts
    return facts


#: Builtins that may have effects but never mutate the arguments they are given.
_ARG_SAFE_BUILTINS = frozenset({"open", "getattr", "hasattr", "print"})


def _note_call_mutations(node: ast.Call, ctx: AnalysisContext, mutated: set[str]) -> None:
    pure = is_pure_call(node, ctx) or (
        isinstance(node.func, ast.Name)
        and node.func.id in _ARG_SAFE_BUILTINS
        and ctx.is_builtin(node.func, node.func.id)
    )
    func = node.func
    if isinstance(func, ast.Attribute) and not pure:
        base = root_name(func.value)
        if base and base not in ctx.imports:
            mutated.add(base)
    if not pure:
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(arg, ast.Starred):
                arg = arg.value
            base = root_name(arg)
            if base:
                mutated.add(base)


def only_rebinding_in_loop(name: str, target: ast.Name, ctx: AnalysisContext) -> bool:
    """``target`` (a Store of ``name``) is the only place the innermost loop rebinds
    ``name``: its value carries over from one iteration to the next."""
    for root in loop_region(ctx.loops[-1]):
        for sub in ast.walk(root):
            if (
                isinstance(sub, ast.Name)
                and sub.id == name
                and not isinstance(sub.ctx, ast.Load)
                and sub is not target
            ):
                return False
    return True


def root_name(node: ast.AST) -> str | None:
    """``x`` for ``x``, ``x.a.b``, ``x[i].a``; None otherwise."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def is_loop_invariant(expr: ast.expr, loop: Loop, ctx: AnalysisContext) -> bool:
    """``expr`` gives the same value on every iteration of ``loop``: it reads only local
    names (or imported modules) that the loop neither rebinds nor may mutate, and calls
    nothing but pure builtins."""
    facts = loop_facts(loop, ctx)
    if facts.has_nested_scope:
        return False
    local = scope_facts(ctx.scope).bindings
    imports = ctx.imports
    skip: set[int] = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            skip.add(id(node.func))
    for node in ast.walk(expr):
        if isinstance(node, ast.Name):
            if id(node) in skip:
                continue
            if node.id in facts.stores or node.id in facts.mutated:
                return False
            if node.id not in local and node.id not in imports:
                return False
            if node.id in local and any(b.kind == "global" for b in local[node.id]):
                return False
        elif isinstance(node, ast.Call):
            if not is_pure_call(node, ctx):
                return False
        elif isinstance(node, _NOT_INVARIANT):
            return False
    return True


_NOT_INVARIANT = (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.Lambda, *COMPREHENSIONS)


def enclosing_statement(ctx: AnalysisContext) -> ast.stmt | None:
    for node in reversed(ctx.stack):
        if isinstance(node, ast.stmt):
            return node
    return None


def const_int(node: ast.AST | None) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None
