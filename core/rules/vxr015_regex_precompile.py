"""VXR015 - compile a literal regular expression once, at module level.

``re.search(r"...", line)`` looks the pattern up in ``re``'s internal cache (hashing the
pattern and flags, and recompiling whenever more than a few hundred patterns have pushed
it out) on every call: a few hundred nanoseconds, often a third of a short match. A
module-level ``re.compile`` does that once; the function calls the compiled pattern's
method directly. Inside a loop the lookup repeats per iteration; in a small function
called often (a tokenizer helper, a validator) it repeats per call, so the rule fires in
both places and measurement decides whether the gain clears the noise floor.

Fires on ``re.match/search/fullmatch/findall/finditer/sub/subn/split`` calls in a function
when ``re`` (or the function itself, ``from re import match``) is imported at module
level, the pattern is a string literal (or a module constant bound once to one) and the
flags, if any, are ``re.*`` constants or integers. The same pattern and flags share one
compiled constant. ``re.compile`` returns the very object ``re``'s functions use, so
behaviour is identical, except that an invalid pattern now fails when the module is
imported rather than when the function runs (verification imports both modules, so such
a candidate is reported as ``crashed``, never suggested).

Bad::

    import re

    def error_codes(lines: list[str]) -> list[str]:
        codes = []
        for line in lines:
            m = re.search(r"ERROR (\\d+)", line)
            if m:
                codes.append(m.group(1))
        return codes

Good::

    import re

    _ERROR_CODES_RE = re.compile(r"ERROR (\\d+)")

    def error_codes(lines: list[str]) -> list[str]:
        codes = []
        for line in lines:
            m = _ERROR_CODES_RE.search(line)
            if m:
                codes.append(m.group(1))
        return codes
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ImportSpec, ModuleContext, Rewrite, Rule

# function -> index of its positional ``flags`` argument
_FLAGS_AT = {
    "match": 2, "search": 2, "fullmatch": 2, "findall": 2, "finditer": 2,
    "sub": 4, "subn": 4, "split": 3,
}  # fmt: skip


class RegexPrecompile(Rule):
    id = "VXR015"
    name = "regex_precompile"
    action_type = "regex_precompilation"
    detector_ids = ("VX117",)
    description = "Compile a literal regular expression once at module level."
    reasoning = (
        "Module-level re.match/search/sub calls look the pattern up in re's cache on "
        "every call; a pattern compiled once skips that work."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        alias = ctx.module_imports.get("re")
        imports: list[ImportSpec] = []
        if alias is None:  # only ``from re import match``: compiling needs ``re`` itself
            names = ctx.variables_in(ctx.module).get("re", [])
            if any(not isinstance(ctx.parents.get(n), cst.ImportFrom) for n in names):
                return None  # something else is called re here: keep away
            alias = "re"
            imports.append(ImportSpec("re"))
        imported = {local: fn for (mod, fn), local in ctx.from_imports.items()
                    if mod == "re" and fn in _FLAGS_AT}
        consts: dict[tuple[str, str], str] = {}
        statements: list[cst.SimpleStatementLine] = []
        anchors: list[str] = []
        edits: dict[cst.CSTNode, u.Edit] = {}
        for call in u.walk(unit.node):
            if not isinstance(call, cst.Call):
                continue
            mc = u.method_call(call)
            if mc is not None and u.is_name(mc[0], alias) and mc[1] in _FLAGS_AT:
                fn, via = mc[1], alias
            elif isinstance(call.func, cst.Name) and call.func.value in imported:
                fn, via = imported[call.func.value], call.func.value
            else:
                continue
            func = u.enclosing_scope(ctx, call)
            if not isinstance(func, cst.FunctionDef) or u.bound_names(ctx, func) & {alias, via}:
                continue
            split = _split_args(ctx, call, fn, alias)
            if split is None:
                continue
            pattern, flags, rest = split
            key = (ctx.code(pattern).strip(), ctx.code(flags).strip() if flags else "")
            if key not in consts:
                base = f"_{func.name.value.upper().strip('_')}_RE"
                consts[key] = ctx.fresh_name(base)
                compile_args = key[0] + (f", {key[1]}" if key[1] else "")
                statements.append(u.stmt(f"{consts[key]} = {alias}.compile({compile_args})"))  # type: ignore[arg-type]
                if isinstance(pattern, cst.Name):
                    anchors.append(pattern.value)
            new_call = cst.Call(func=u.expr(f"{consts[key]}.{fn}"), args=rest)
            edits[call] = u.replace_with(new_call)
        return u.finish(
            unit.node,
            edits,
            f"precompile {len(consts)} regular expression(s) at module level",
            module_statements=statements,
            module_anchors=anchors,
            imports=imports,
        )


def _split_args(  # type: ignore[no-untyped-def]
    ctx: ModuleContext, call: cst.Call, fn: str, alias: str
):
    """(pattern, flags or None, remaining args for the compiled method) or None."""
    args = list(call.args)
    if not args or args[0].keyword is not None or args[0].star:
        return None
    pattern = args[0].value
    if not _literal_pattern(ctx, pattern):
        return None
    flags = None
    rest: list[cst.Arg] = []
    for i, a in enumerate(args[1:], start=1):
        if a.star:
            return None
        is_flags = (a.keyword is None and i == _FLAGS_AT[fn]) or (
            a.keyword is not None and a.keyword.value == "flags"
        )
        if is_flags:
            flags = a.value
            continue
        if a.keyword is not None and a.keyword.value == "pattern":
            return None
        rest.append(a)
    if flags is not None and not _constant_flags(flags, alias):
        return None
    if rest:
        rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return pattern, flags, rest


def _literal_pattern(ctx: ModuleContext, e: cst.BaseExpression) -> bool:
    if isinstance(e, cst.SimpleString | cst.ConcatenatedString):
        return True
    if not isinstance(e, cst.Name) or e.value not in ctx.module_bindings:
        return False
    stores = [n for n in u.var_names(ctx, ctx.module, e.value) if u.is_store(ctx, n)]
    if len(stores) != 1 or u.enclosing_scope(ctx, stores[0]) is not None:
        return False
    target = ctx.parents.get(stores[0])
    assign = ctx.parents.get(target) if isinstance(target, cst.AssignTarget) else None
    return isinstance(assign, cst.Assign) and isinstance(
        assign.value, cst.SimpleString | cst.ConcatenatedString
    )


def _constant_flags(e: cst.BaseExpression, alias: str) -> bool:
    if isinstance(e, cst.Integer):
        return True
    if isinstance(e, cst.Attribute):
        return u.is_name(e.value, alias) and e.attr.value.isupper()
    if isinstance(e, cst.BinaryOperation) and isinstance(e.operator, cst.BitOr):
        return _constant_flags(e.left, alias) and _constant_flags(e.right, alias)
    return False
