"""Small syntactic analyses over LibCST trees that the rules share.

Everything here is deliberately conservative: when a fact cannot be established from the
syntax alone (a name might be mutated, a call might have side effects), the helpers answer
"unsafe", and the rule either does not fire or marks its candidate for verification.
Helpers that take a ``ModuleContext`` only work on nodes of ``ctx.module`` (they use the
metadata resolved once per module).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence

import libcst as cst
from libcst.metadata import ExpressionContext

from core.rules.base import ModuleContext, Rewrite, children_reversed

LOOP_TYPES = (cst.For, cst.While)
COMP_TYPES = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
SCOPE_TYPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)

# Builtins that neither mutate their arguments nor call back into user code (as long as
# the arguments' own dunder methods are the ordinary ones).
PURE_BUILTINS = frozenset(
    {
        "abs", "all", "any", "bool", "chr", "dict", "divmod", "enumerate", "float",
        "frozenset", "hash", "int", "isinstance", "issubclass", "len", "list", "max", "min",
        "ord", "pow", "range", "repr", "reversed", "round", "set", "sorted", "str", "sum",
        "tuple", "zip", "bin", "hex", "oct", "complex", "bytes", "type", "id", "format",
        "callable", "slice",
    }
)  # fmt: skip

# Builtins with effects outside the function: a function calling them is not pure.
IMPURE_BUILTINS = frozenset(
    {"print", "open", "input", "exec", "eval", "compile", "setattr", "delattr", "globals",
     "locals", "vars", "breakpoint", "exit", "quit", "__import__", "next", "iter"}
)  # fmt: skip

MUTATING_METHODS = frozenset(
    {
        "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "update",
        "add", "discard", "setdefault", "popitem", "difference_update",
        "intersection_update", "symmetric_difference_update", "appendleft", "popleft",
        "extendleft", "rotate", "write", "writelines", "seek", "truncate", "close", "send",
        "throw", "move_to_end", "subtract", "__setitem__", "__delitem__", "__iadd__",
    }
)  # fmt: skip

READONLY_METHODS = frozenset(
    {
        "count", "index", "get", "keys", "values", "items", "copy", "startswith", "endswith",
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "join", "lower",
        "upper", "title", "capitalize", "casefold", "swapcase", "format", "format_map",
        "find", "rfind", "rindex", "replace", "partition", "rpartition", "zfill", "ljust",
        "rjust", "center", "expandtabs", "encode", "decode", "isdigit", "isalpha",
        "isalnum", "isspace", "isupper", "islower", "isnumeric", "isdecimal", "istitle",
        "isidentifier", "isprintable", "isascii", "removeprefix", "removesuffix",
        "issubset", "issuperset", "isdisjoint", "union", "intersection", "difference",
        "symmetric_difference", "most_common", "total", "elements", "bit_length",
        "is_integer", "conjugate", "hex", "translate", "maketrans",
    }
)  # fmt: skip


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Pre-order traversal of ``node`` and all its descendants."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(children_reversed(n))


def walk_same_scope(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Like `walk`, but does not descend into nested functions, lambdas or classes."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if n is not node and isinstance(n, SCOPE_TYPES):
            continue
        stack.extend(children_reversed(n))


def preorder_index(root: cst.CSTNode) -> dict[cst.CSTNode, int]:
    """Node -> position in a pre-order walk (i.e. source order for statements)."""
    return {n: i for i, n in enumerate(walk(root))}


def is_name(node: cst.CSTNode | None, value: str | None = None) -> bool:
    return isinstance(node, cst.Name) and (value is None or node.value == value)


def var_names(ctx: ModuleContext, node: cst.CSTNode, name: str) -> list[cst.Name]:
    """Every occurrence of variable ``name`` inside ``node`` (loads, stores, dels, params,
    def/class names); attribute names and keyword-argument names are not variables."""
    return ctx.variables_in(node).get(name, [])


def is_store(ctx: ModuleContext, name: cst.Name) -> bool:
    return ctx.expr_ctx.get(name) in (ExpressionContext.STORE, ExpressionContext.DEL)


def bound_names(ctx: ModuleContext, node: cst.CSTNode) -> set[str]:
    """Names (re)bound or deleted anywhere inside ``node``, nested scopes included, plus
    names declared ``global``/``nonlocal`` there."""
    out: set[str] = set()
    for n in walk(node):
        if isinstance(n, cst.Name) and is_store(ctx, n):
            out.add(n.value)
        elif isinstance(n, cst.Global | cst.Nonlocal):
            out.update(item.name.value for item in n.names)
    return out


def params_of(func: cst.FunctionDef) -> list[cst.Param]:
    p = func.params
    out = [*p.posonly_params, *p.params, *p.kwonly_params]
    if isinstance(p.star_arg, cst.Param):
        out.append(p.star_arg)
    if p.star_kwarg is not None:
        out.append(p.star_kwarg)
    return out


def param_names(func: cst.FunctionDef) -> list[str]:
    return [p.name.value for p in params_of(func)]


def parent(ctx: ModuleContext, node: cst.CSTNode) -> cst.CSTNode | None:
    return ctx.parents.get(node)


def ancestors(ctx: ModuleContext, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    p = ctx.parents.get(node)
    while p is not None:
        yield p
        p = ctx.parents.get(p)


def enclosing_scope(ctx: ModuleContext, node: cst.CSTNode) -> cst.CSTNode | None:
    for a in ancestors(ctx, node):
        if isinstance(a, SCOPE_TYPES):
            return a
    return None


def enclosing_statement(ctx: ModuleContext, node: cst.CSTNode) -> cst.BaseStatement | None:
    """The innermost statement (simple line or compound) that contains ``node``."""
    for a in [node, *ancestors(ctx, node)]:
        if isinstance(a, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            return a
    return None


def loops_between(
    ctx: ModuleContext, node: cst.CSTNode, stop: cst.CSTNode
) -> list[cst.CSTNode]:
    """Loops (for/while statements and comprehensions) enclosing ``node`` below ``stop``,
    innermost first. Stops at a nested scope boundary."""
    out: list[cst.CSTNode] = []
    child = node
    for a in ancestors(ctx, node):
        if a is stop or isinstance(a, SCOPE_TYPES):
            break
        if isinstance(a, cst.For | cst.While) and child is not getattr(a, "iter", None):
            out.append(a)
        elif isinstance(a, COMP_TYPES):
            # the first iterable of a comprehension is evaluated once, outside the loop
            first_iter = a.for_in.iter
            if not _contains(first_iter, node):
                out.append(a)
        child = a
    return out


def _contains(root: cst.CSTNode, node: cst.CSTNode) -> bool:
    return any(n is node for n in walk(root))


def contains(root: cst.CSTNode, node: cst.CSTNode) -> bool:
    return _contains(root, node)


def called_name(call: cst.Call) -> str | None:
    return call.func.value if isinstance(call.func, cst.Name) else None


def method_call(call: cst.CSTNode) -> tuple[cst.BaseExpression, str] | None:
    """``obj.method(...)`` -> (obj, "method")."""
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
        return call.func.value, call.func.attr.value
    return None


def builtin_available(ctx: ModuleContext, name: str) -> bool:
    """True when ``name`` is not rebound anywhere in the module (so it is the builtin)."""
    return name not in ctx.stored_names


def builtin_calls(ctx: ModuleContext, node: cst.CSTNode,
                  names: Collection[str]) -> Iterator[tuple[cst.Call, str]]:
    """``(call, name)`` for each call under ``node`` of a builtin in ``names`` that the
    module does not shadow."""
    for call in walk(node):
        if isinstance(call, cst.Call):
            fn = called_name(call)
            if fn in names and builtin_available(ctx, fn):
                yield call, fn


def unknown_calls(ctx: ModuleContext, node: cst.CSTNode) -> list[cst.Call]:
    """Calls inside ``node`` whose effects we cannot bound: anything but a pure builtin
    (not shadowed) or a read-only method."""
    out = []
    for n in walk(node):
        if not isinstance(n, cst.Call):
            continue
        fname = called_name(n)
        if fname is not None and fname in PURE_BUILTINS and builtin_available(ctx, fname):
            if any(a.keyword is not None and a.keyword.value == "key" and not isinstance(
                a.value, cst.Lambda) for a in n.args):  # fmt: skip
                out.append(n)
            continue
        mc = method_call(n)
        if mc is not None and mc[1] in READONLY_METHODS:
            continue
        out.append(n)
    return out


def readonly_use(ctx: ModuleContext, name: cst.Name) -> bool:
    """True when this load of a variable neither rebinds, mutates nor lets the object
    escape (to a call, a container, another name, a yield) — a shallow guarantee about the
    object the name refers to."""
    if ctx.expr_ctx.get(name) is not ExpressionContext.LOAD:
        return False
    p = ctx.parents.get(name)
    if isinstance(p, cst.Attribute) and p.value is name:
        gp = ctx.parents.get(p)
        if ctx.expr_ctx.get(p) is not ExpressionContext.LOAD:
            return False  # obj.attr = ... / del obj.attr
        if isinstance(gp, cst.Call) and gp.func is p:
            return p.attr.value in READONLY_METHODS
        if p.attr.value in MUTATING_METHODS:
            return False  # a bound mutator (``add = seen.add``) can mutate it later
        return not isinstance(gp, cst.Attribute | cst.Subscript)
    if isinstance(p, cst.Subscript) and p.value is name:
        return ctx.expr_ctx.get(p) is ExpressionContext.LOAD
    if isinstance(p, cst.ComparisonTarget | cst.Comparison):
        return True
    if isinstance(p, cst.BinaryOperation | cst.UnaryOperation | cst.BooleanOperation):
        return True
    if isinstance(p, cst.If | cst.While | cst.IfExp) and getattr(p, "test", None) is name:
        return True
    if isinstance(p, cst.For) and p.iter is name:
        return True
    if isinstance(p, cst.CompFor) and p.iter is name:
        return True
    if isinstance(p, cst.FormattedStringExpression):
        return True
    if isinstance(p, cst.Arg) and p.value is name and p.star == "":
        call = ctx.parents.get(p)
        if isinstance(call, cst.Call):
            fname = called_name(call)
            if fname in PURE_BUILTINS and builtin_available(ctx, fname):
                # list(x)/sorted(x)/set(x) copy; the others only read
                return True
    return False


def all_readonly(ctx: ModuleContext, node: cst.CSTNode, name: str) -> bool:
    """Every occurrence of ``name`` inside ``node`` is a read-only load."""
    return all(readonly_use(ctx, n) for n in var_names(ctx, node, name))


def is_fresh_list(expr: cst.BaseExpression) -> bool:
    """An expression that certainly evaluates to a new list object."""
    if isinstance(expr, cst.List | cst.ListComp):
        return True
    return (
        isinstance(expr, cst.Call)
        and called_name(expr) in ("list", "sorted")
        and all(a.star == "" for a in expr.args)
    )


def annotation_text(ctx: ModuleContext, param: cst.Param) -> str | None:
    if param.annotation is None:
        return None
    return ctx.code(param.annotation.annotation).replace(" ", "")


def statement_blocks(node: cst.CSTNode) -> Iterator[cst.IndentedBlock]:
    """Every indented block under ``node`` (nested scopes included)."""
    for n in walk(node):
        if isinstance(n, cst.IndentedBlock):
            yield n


def single_assign(stmt: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """``name = value`` as one simple statement -> (name, value)."""
    if (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Assign)
        and len(stmt.body[0].targets) == 1
        and isinstance(stmt.body[0].targets[0].target, cst.Name)
    ):
        a = stmt.body[0]
        return a.targets[0].target.value, a.value
    return None


def only_small(stmt: cst.CSTNode) -> cst.BaseSmallStatement | None:
    """The single small statement of a simple statement line, else None."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        return stmt.body[0]
    return None


def block_body(node: cst.BaseSuite) -> Sequence[cst.BaseStatement] | None:
    if isinstance(node, cst.IndentedBlock):
        return node.body
    return None


Edit = Callable[[cst.CSTNode], cst.CSTNode | cst.FlattenSentinel | cst.RemovalSentinel]


class _Replacer(cst.CSTTransformer):
    def __init__(self, edits: dict[cst.CSTNode, Edit]) -> None:
        self.edits = edits
        self.applied = 0

    def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        fn = self.edits.get(original_node)
        if fn is None:
            return updated_node
        self.applied += 1
        return fn(updated_node)


def apply_edits(root: cst.CSTNode, edits: dict[cst.CSTNode, Edit]) -> cst.CSTNode:
    """Rebuild ``root`` applying ``edits`` (original node -> function of its updated node).

    Raises ValueError when some edit's node was not found under ``root``."""
    r = _Replacer(edits)
    out = root.visit(r)
    if r.applied != len(edits):
        raise ValueError("edit target not found under root")
    return out


def replace_with(new: cst.CSTNode) -> Edit:
    return lambda _updated: new


def insert_before(*stmts: cst.BaseStatement) -> Edit:
    """Insert ``stmts`` before the node; blank lines that separated the node from what came
    before now separate the inserted statements (comments stay with the node)."""

    def run(updated: cst.CSTNode):  # type: ignore[no-untyped-def]
        lines = list(getattr(updated, "leading_lines", ()))
        k = 0
        while k < len(lines) and lines[k].comment is None:
            k += 1
        if not k or not stmts or not hasattr(stmts[0], "leading_lines"):
            return cst.FlattenSentinel([*stmts, updated])
        first = stmts[0].with_changes(leading_lines=[*lines[:k], *stmts[0].leading_lines])
        return cst.FlattenSentinel(
            [first, *stmts[1:], updated.with_changes(leading_lines=lines[k:])]
        )

    return run


def insert_after(*stmts: cst.BaseStatement) -> Edit:
    return lambda updated: cst.FlattenSentinel([updated, *stmts])


def remove() -> Edit:
    return lambda _updated: cst.RemovalSentinel.REMOVE


def chain_edits(*fns: Edit) -> Edit:
    """Compose edits for one node (applied left to right)."""

    def run(updated: cst.CSTNode):  # type: ignore[no-untyped-def]
        out: list[cst.CSTNode] = [updated]
        for fn in fns:
            nxt: list[cst.CSTNode] = []
            for n in out:
                r = fn(n)
                if isinstance(r, cst.FlattenSentinel):
                    nxt.extend(r.nodes)
                elif isinstance(r, cst.CSTNode):
                    nxt.append(r)
            out = nxt
        return out[0] if len(out) == 1 else cst.FlattenSentinel(out)

    return run


def stmt(code: str) -> cst.BaseStatement:
    return cst.parse_statement(code if code.endswith("\n") else code + "\n")


def small(code: str) -> cst.BaseSmallStatement:
    """One small statement (assignment, expression...) parsed from ``code``."""
    line = cst.parse_statement(code + "\n")
    assert isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1
    return line.body[0]


def expr(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


def leading_comments_kept(old: cst.BaseStatement, new: cst.BaseStatement) -> cst.BaseStatement:
    """Carry the comment/blank lines above ``old`` onto its replacement."""
    lines = getattr(old, "leading_lines", ())
    if lines and hasattr(new, "leading_lines"):
        return new.with_changes(leading_lines=lines)
    return new


def insertion_statement(ctx: ModuleContext, node: cst.CSTNode) -> cst.BaseStatement | None:
    """The statement containing ``node`` that sits directly in an indented block, i.e. the
    place before which a new statement can be inserted (None inside a one-line suite)."""
    s = enclosing_statement(ctx, node)
    while s is not None:
        p = ctx.parents.get(s)
        if isinstance(p, cst.IndentedBlock):
            return s
        if p is None or isinstance(p, cst.Module | cst.SimpleStatementSuite):
            return None
        s = enclosing_statement(ctx, p)
    return None


def function_scopes(unit_node: cst.FunctionDef) -> list[cst.FunctionDef]:
    """The unit's function and every function nested in it."""
    return [n for n in walk(unit_node) if isinstance(n, cst.FunctionDef)]


def in_scope(ctx: ModuleContext, node: cst.CSTNode, func: cst.FunctionDef) -> bool:
    """``node`` belongs to ``func``'s own scope (not a nested function, lambda or class)."""
    return enclosing_scope(ctx, node) is func


LIST_ANNOTATION = (
    r"(list|List|tuple|Tuple|MutableSequence|collections\.deque|deque)(\[.*\])?"
)
HASHABLE_ELEMENT = r"(int|str|bytes|bool|float|tuple(\[.*\])?|frozenset(\[.*\])?)"


def local_kind(ctx: ModuleContext, func: cst.FunctionDef, name: str) -> tuple[str, str]:
    """What a function-local or parameter ``name`` is known to hold, from its annotation or
    from every assignment to it: ("list", elem) with elem "hashable"/"unknown",
    ("str", ""), ("mapping", ""), ("set", ""), or ("unknown", reason)."""
    import re as _re

    for i, p in enumerate(params_of(func)):
        if p.name.value != name:
            continue
        if i == 0 and is_method(ctx, func) and not _is_staticmethod(func):
            return "object", f"{name} is the instance or class"
        if p.star == "**":
            return "mapping", ""
        ann = annotation_text(ctx, p)
        if p.star == "*":
            return "list", "unknown"
        if ann is None:
            if p.default is not None:
                kind = value_kind(p.default)
                if kind[0] != "unknown":
                    return kind
            return "unknown", f"{name} is an unannotated parameter"
        m = _re.fullmatch(r"(?:list|List|tuple|Tuple|Sequence)\[(.*?)(?:,\.\.\.)?\]", ann)
        if _re.fullmatch(LIST_ANNOTATION, ann):
            if m and _re.fullmatch(HASHABLE_ELEMENT, m.group(1)):
                return "list", "hashable"
            return "list", "unknown"
        if _re.fullmatch(r"(str|bytes)", ann):
            return "str", ""
        if _re.fullmatch(r"(dict|Dict|Mapping|defaultdict|Counter|OrderedDict)(\[.*\])?", ann):
            return "mapping", ""
        if _re.fullmatch(r"(set|Set|frozenset|FrozenSet|AbstractSet)(\[.*\])?", ann):
            return "set", ""
        return "unknown", f"{name}: {ann}"
    stores = [
        n for n in var_names(ctx, func.body, name) if is_store(ctx, n) and in_scope(ctx, n, func)
    ]
    if not stores:
        return "unknown", f"{name} is not a local"
    kinds = set()
    for n in stores:
        p = ctx.parents.get(n)
        if isinstance(p, cst.AssignTarget) and isinstance(ctx.parents.get(p), cst.Assign):
            kinds.add(value_kind(ctx.parents[p].value))  # type: ignore[union-attr]
        elif isinstance(p, cst.AnnAssign) and p.value is not None:
            kinds.add(value_kind(p.value))
        else:
            kinds.add(("unknown", f"{name} is bound by {type(p).__name__}"))
    if len(kinds) == 1:
        return kinds.pop()
    if {k for k, _ in kinds} == {"list"}:
        return "list", "unknown"
    return "unknown", f"{name} is assigned values of different kinds"


def is_method(ctx: ModuleContext, func: cst.FunctionDef) -> bool:
    block = ctx.parents.get(func)
    return isinstance(block, cst.IndentedBlock) and isinstance(ctx.parents.get(block), cst.ClassDef)


def _is_staticmethod(func: cst.FunctionDef) -> bool:
    return any(is_name(d.decorator, "staticmethod") for d in func.decorators)


def constant_display(ctx: ModuleContext, func: cst.FunctionDef, name: str) -> bool:
    """Every binding of local ``name`` is a list/tuple/set display of at most 16 items: a
    small fixed collection, where building a set buys nothing measurable."""
    stores = [n for n in var_names(ctx, func.body, name) if is_store(ctx, n)]
    if not stores or name in param_names(func):
        return False
    for n in stores:
        p = ctx.parents.get(n)
        assign = ctx.parents.get(p) if isinstance(p, cst.AssignTarget) else None
        if not isinstance(assign, cst.Assign):
            return False
        v = assign.value
        if not isinstance(v, cst.List | cst.Tuple | cst.Set) or len(v.elements) > 16:
            return False
        if any(isinstance(e, cst.StarredElement) for e in v.elements):
            return False
    return True


def value_kind(e: cst.BaseExpression) -> tuple[str, str]:
    """The kind of value an expression certainly produces (see `local_kind`)."""
    if isinstance(e, cst.List | cst.Tuple):
        elems = [el.value for el in e.elements]
        if elems and all(isinstance(v, cst.SimpleString | cst.Integer) for v in elems):
            return "list", "hashable"
        return "list", "unknown"
    if isinstance(e, cst.ListComp):
        return "list", "unknown"
    if isinstance(e, cst.Call):
        name = called_name(e)
        if name in ("list", "sorted", "tuple"):
            return "list", "unknown"
        mc = method_call(e)
        if mc is not None and mc[1] in ("split", "rsplit", "splitlines"):
            return "list", "hashable"
        if mc is not None and mc[1] in ("read", "strip", "lower", "upper", "join", "format"):
            return "str", ""
        if name in ("set", "frozenset"):
            return "set", ""
        if name in ("dict", "defaultdict", "Counter", "OrderedDict"):
            return "mapping", ""
    if isinstance(e, cst.Set | cst.SetComp):
        return "set", ""
    if isinstance(e, cst.Dict | cst.DictComp):
        return "mapping", ""
    if isinstance(e, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString):
        return "str", ""
    if isinstance(e, cst.Name) and e.value == "None":
        return "unknown", "may be None"
    return "unknown", "assigned from an expression of unknown type"


FRESH_CALLS = frozenset({"list", "sorted", "set", "dict", "tuple", "frozenset"})


def is_fresh_value(e: cst.BaseExpression) -> bool:
    """An expression that builds a new object nobody else refers to."""
    if isinstance(
        e,
        cst.List | cst.ListComp | cst.Set | cst.SetComp | cst.Dict | cst.DictComp | cst.Tuple
        | cst.SimpleString | cst.Integer | cst.Float | cst.FormattedString,
    ):
        return True
    if isinstance(e, cst.Call):
        if called_name(e) in FRESH_CALLS:
            return True
        mc = method_call(e)
        return mc is not None and mc[1] in ("split", "rsplit", "splitlines", "copy")
    return False


def private_local(ctx: ModuleContext, func: cst.FunctionDef, name: str) -> bool:
    """``name`` is a local of ``func`` that only ever holds objects built right there and
    never lets them escape (no call, container, alias, return or yield sees them), so code
    outside the function cannot mutate them."""
    if name in param_names(func):
        return False
    occs = var_names(ctx, func.body, name)
    if not occs:
        return False
    for n in occs:
        if is_store(ctx, n):
            p = ctx.parents.get(n)
            if not (
                isinstance(p, cst.AssignTarget)
                and isinstance(ctx.parents.get(p), cst.Assign)
                and is_fresh_value(ctx.parents[p].value)  # type: ignore[union-attr]
            ):
                return False
        elif not (
            readonly_use(ctx, n)
            or _self_mutation(ctx, n)
            or isinstance(ctx.parents.get(n), cst.Return)  # the function ends there
        ):
            return False
    return True


def _self_mutation(ctx: ModuleContext, n: cst.Name) -> bool:
    """``name.append(x)`` and friends: mutates the object without letting it escape."""
    p = ctx.parents.get(n)
    if isinstance(p, cst.Attribute) and p.value is n:
        gp = ctx.parents.get(p)
        return isinstance(gp, cst.Call) and gp.func is p and p.attr.value in MUTATING_METHODS
    return isinstance(p, cst.Subscript) and p.value is n  # name[i] = v / del name[i]


def invariant_in(ctx: ModuleContext, region: cst.CSTNode, name: str) -> bool:
    """Inside ``region`` the variable is never rebound and every use is read-only."""
    return name not in bound_names(ctx, region) and all_readonly(ctx, region, name)


def calls_that_may_mutate(
    ctx: ModuleContext,
    func: cst.FunctionDef,
    region: cst.CSTNode,
    name: str,
    exclude: cst.CSTNode | None = None,
) -> list[cst.Call]:
    """Calls in ``region`` that might mutate the object ``name`` refers to: unknown calls,
    except container methods called on other locals of ``func`` that never alias anything
    (`private_local`). Empty when ``name`` itself is a private local."""
    if private_local(ctx, func, name):
        return []
    out = []
    for call in unknown_calls(ctx, region):
        if exclude is not None and contains(exclude, call):
            continue
        mc = method_call(call)
        if (
            mc is not None
            and isinstance(mc[0], cst.Name)
            and mc[0].value != name
            and mc[1] in MUTATING_METHODS | READONLY_METHODS
            and private_local(ctx, func, mc[0].value)
        ):
            continue
        out.append(call)
    return out


def mutator_escapes(ctx: ModuleContext, func: cst.FunctionDef, name: str) -> bool:
    """Somewhere in ``func`` a mutating method of ``name`` is taken without being called
    (``push = stack.append``): calls through that alias mutate it out of sight."""
    for occ in var_names(ctx, func.body, name):
        p = ctx.parents.get(occ)
        if isinstance(p, cst.Attribute) and p.value is occ and p.attr.value in MUTATING_METHODS:
            gp = ctx.parents.get(p)
            if not (isinstance(gp, cst.Call) and gp.func is p):
                return True
    return False


def hoist_point(
    ctx: ModuleContext, func: cst.FunctionDef, node: cst.CSTNode, names: Sequence[str]
) -> cst.BaseStatement | None:
    """Where to compute, once, something about ``names`` that ``node`` recomputes on every
    iteration: the statement (directly in an indented block) of the outermost loop around
    ``node`` inside which none of ``names`` is rebound or used other than read-only. None
    when ``node`` is not in a loop or the innermost loop already changes a name."""
    if any(mutator_escapes(ctx, func, n) for n in names):
        return None
    best: cst.BaseStatement | None = None
    for loop in loops_between(ctx, node, func):  # innermost first
        if isinstance(loop, cst.For | cst.While) and isinstance(
            ctx.parents.get(loop), cst.IndentedBlock
        ):
            stmt: cst.BaseStatement | None = loop
        else:
            stmt = insertion_statement(ctx, loop)
        if stmt is None or not all(invariant_in(ctx, stmt, n) for n in names):
            break
        best = stmt
    return best


def comments_in(node: cst.CSTNode) -> list[cst.EmptyLine]:
    """The comments inside ``node`` (own-line and trailing) as own-line comments, so a
    rewrite that collapses ``node`` can keep them above the new code."""
    out: list[cst.EmptyLine] = []
    for n in walk(node):
        if isinstance(n, cst.EmptyLine | cst.TrailingWhitespace) and n.comment is not None:
            out.append(cst.EmptyLine(comment=n.comment))
    return out


def inside_try(ctx: ModuleContext, node: cst.CSTNode, stop: cst.CSTNode) -> bool:
    """``node`` sits in a ``try`` body (or handler) or a ``with`` block below ``stop``: an
    exception it raises may be caught (``except``, or a context manager's ``__exit__`` such
    as ``contextlib.suppress``) and the function go on with partial state. ``with open(...)``
    (the builtin, never suppressing) does not count."""
    for a in ancestors(ctx, node):
        if a is stop:
            return False
        if isinstance(a, cst.Try | cst.TryStar):
            return True
        if isinstance(a, cst.With) and not all(
            isinstance(item.item, cst.Call) and is_name(item.item.func, "open")
            and builtin_available(ctx, "open") for item in a.items
        ):
            return True
    return False


def dead_outside(
    ctx: ModuleContext,
    func: cst.FunctionDef,
    region: Sequence[cst.CSTNode],
    names: Sequence[str],
) -> bool:
    """None of ``names`` is read in ``func`` outside ``region``, except inside another
    ``for`` loop or comprehension that binds it as its own target first, or is used by a
    nested scope. Used before removing or narrowing the binding of loop variables."""
    for name in names:
        for occ in var_names(ctx, func.body, name):
            if any(contains(s, occ) for s in region) or is_store(ctx, occ):
                continue
            if not in_scope(ctx, occ, func):
                return False
            if not any(
                isinstance(a, cst.For | cst.CompFor) and name in target_names(a.target)
                for a in ancestors(ctx, occ)
            ):
                return False
    return True


def target_names(t: cst.CSTNode) -> set[str]:
    return {n.value for n in walk(t) if isinstance(n, cst.Name)}


def first_mention_after(
    ctx: ModuleContext, body: Sequence[cst.BaseStatement], i: int, name: str
) -> cst.BaseStatement | None:
    """The first statement after ``body[i]`` that mentions variable ``name``."""
    return next((s for s in body[i + 1 :] if var_names(ctx, s, name)), None)


def init_sites(
    ctx: ModuleContext, unit_node: cst.FunctionDef
) -> Iterator[
    tuple[cst.FunctionDef, list[cst.BaseStatement], int, cst.BaseStatement, str, cst.BaseExpression]
]:
    """Every ``name = value`` statement in an indented block of a function of the unit, as
    (function, the block's statements, index, statement, name, value): the starting point
    of the "initialise, then loop" rules."""
    for block in statement_blocks(unit_node):
        func = enclosing_scope(ctx, block)
        if not isinstance(func, cst.FunctionDef):
            continue
        body = list(block.body)
        for i, s0 in enumerate(body):
            a = single_assign(s0)
            if a is not None:
                yield func, body, i, s0, a[0], a[1]


def collapse(
    edits: dict[cst.CSTNode, Edit], init: cst.BaseStatement, loop: cst.BaseStatement, code: str
) -> None:
    """Replace the initialisation ``init`` and the ``loop`` after it by one statement
    ``code`` at the loop's place, keeping every comment of both above it."""
    new = stmt(code).with_changes(
        leading_lines=[
            *init.leading_lines,  # type: ignore[union-attr]
            *comments_in(init.with_changes(leading_lines=[])),  # type: ignore[union-attr]
            *loop.leading_lines,  # type: ignore[union-attr]
            *comments_in(loop.with_changes(leading_lines=[])),  # type: ignore[union-attr]
        ]
    )
    edits[init] = remove()
    edits[loop] = replace_with(new)


def finish(
    unit_node: cst.FunctionDef,
    edits: dict[cst.CSTNode, Edit],
    summary: str,
    why: Sequence[str] = (),
    **extra: object,
) -> Rewrite | None:
    """The rule's `Rewrite` for these edits (None when there are none); ``why`` lists the
    preconditions that could not be proven (any makes the candidate need verification)."""
    if not edits:
        return None
    return Rewrite(
        new_node=apply_edits(unit_node, edits),  # type: ignore[arg-type]
        summary=summary,
        needs_verification=bool(why),
        unproven="; ".join(dict.fromkeys(why)),
        **extra,  # type: ignore[arg-type]
    )
