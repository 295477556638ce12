"""Turn an LLM answer into whole-module rewrite candidates, refusing what cannot be right.

Accepted answer shapes (tried in this order):
1. JSON: ``{"candidates": [{"code": ..., "explanation": ..., "action_type": ...}]}``, a list of
   such objects, or one object with ``code`` — bare or inside a ```json fence or prose.
2. Fenced code blocks (```python, ```py or bare ```), one candidate per block; the prose
   before a block is its explanation.
3. The whole answer as plain code.
``<think>...</think>`` reasoning (some local models) is dropped first.

A candidate is refused when its code does not parse, does not define the target function,
renames it or changes its signature (parameter names, kinds, defaults; annotations may
change), is identical to the original modulo formatting, comments and docstring (AST
comparison), or adds top-level statements other than imports, assignments and helper
definitions that do not clash with the module. Accepted code is spliced with LibCST: the
function replaces the original definition (comments elsewhere survive), new imports go to
the top, new helpers just before the top-level statement that holds the target.
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from core.actions import ACTION_MEANINGS

FENCE_RE = re.compile(r"```[ \t]*([\w+.-]*)[^\n]*\n(.*?)```", re.DOTALL)
THINK_RE = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
CODE_LANGS = {"", "python", "py", "python3", "py3"}
MAX_EXPLANATION_CHARS = 2000


class Rejected(ValueError):
    """A candidate refused; the message is the one-line reason."""


@dataclass(frozen=True, slots=True)
class RawCandidate:
    code: str
    explanation: str = ""
    action_type: str | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """The function to rewrite, located in the original module."""

    qualname: str
    path: tuple[str, ...]  # enclosing class/function names, then the function's name
    node: ast.FunctionDef | ast.AsyncFunctionDef
    top_level_index: int  # index in module.body of the statement holding the target

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def is_method(self) -> bool:
        return len(self.path) > 1


# Locating -----------------------------------------------------------------------------


def locate(source: str, qualname: str) -> Target:
    """Find ``qualname`` (``f``, ``Class.method``, ``outer.inner``) in the module.

    Raises ValueError naming the problem when the source does not parse or the function
    is not there.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"source does not parse: line {exc.lineno}: {exc.msg}") from None
    path = tuple(part for part in qualname.split(".") if part and part != "<locals>")
    if not path:
        raise ValueError("function_name is empty")
    body: list[ast.stmt] = tree.body
    top_index = -1
    node: ast.AST | None = None
    for depth, part in enumerate(path):
        found = None
        for index, stmt in enumerate(body):
            if (
                isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and stmt.name == part
            ):
                found = stmt
                if depth == 0:
                    top_index = index
        if found is None:
            raise ValueError(f"function {qualname!r} not found in the source")
        node = found
        body = found.body
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        raise ValueError(f"{qualname!r} is a class, not a function")
    return Target(qualname=".".join(path), path=path, node=node, top_level_index=top_index)


# Extracting candidates from text ---------------------------------------------------------


def extract_candidates(text: str) -> list[RawCandidate]:
    """The candidates an answer contains, in order; [] for refusals and garbage."""
    if not isinstance(text, str) or not text.strip():
        return []
    text = THINK_RE.sub("", text)
    for obj in _json_values(text):
        found = _from_json(obj)
        if found:
            return found
    blocks = list(_code_blocks(text))
    if blocks:
        return blocks
    plain = textwrap.dedent(text).strip()
    if _parses(plain) and re.search(r"^\s*(async\s+)?def\s", plain, re.MULTILINE):
        return [RawCandidate(code=plain)]
    return []


def _json_values(text: str) -> Iterator[object]:
    stripped = text.strip()
    seen: set[str] = set()
    chunks = [stripped]
    for match in FENCE_RE.finditer(text):
        lang, body = match.group(1).lower(), match.group(2).strip()
        if lang == "json" or body.startswith(("{", "[")):
            chunks.append(body)
    first, last = stripped.find("{"), stripped.rfind("}")
    if 0 <= first < last:
        chunks.append(stripped[first : last + 1])
    for chunk in chunks:
        if chunk in seen or not chunk.startswith(("{", "[")):
            continue
        seen.add(chunk)
        try:
            yield json.loads(chunk)
        except ValueError:
            continue


def _from_json(obj: object) -> list[RawCandidate]:
    items: object
    if isinstance(obj, dict) and isinstance(obj.get("candidates"), list):
        items = obj["candidates"]
    elif isinstance(obj, dict):
        items = [obj]
    elif isinstance(obj, list):
        items = obj
    else:
        return []
    found: list[RawCandidate] = []
    for item in items:  # type: ignore[union-attr]
        if not isinstance(item, dict):
            continue
        code = item.get("code") or item.get("optimized_code")
        if not isinstance(code, str) or not code.strip():
            continue
        blocks = list(_code_blocks(code))
        if blocks:
            code = blocks[0].code
        explanation = next(
            (
                item[k]
                for k in ("explanation", "reasoning", "description")
                if isinstance(item.get(k), str)
            ),
            "",
        )
        action = item.get("action_type")
        found.append(
            RawCandidate(
                code=textwrap.dedent(code).strip("\n"),
                explanation=explanation.strip()[:MAX_EXPLANATION_CHARS],
                action_type=action if isinstance(action, str) else None,
            )
        )
    return found


def _code_blocks(text: str) -> Iterator[RawCandidate]:
    previous_end = 0
    for match in FENCE_RE.finditer(text):
        lang, body = match.group(1).lower(), match.group(2)
        prose = text[previous_end : match.start()].strip()
        previous_end = match.end()
        if lang not in CODE_LANGS or not body.strip():
            continue
        yield RawCandidate(
            code=textwrap.dedent(body).strip("\n"),
            explanation=prose[-MAX_EXPLANATION_CHARS:],
        )


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


# Checking -----------------------------------------------------------------------------


def signature_key(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple:
    """What callers depend on: async-ness, parameter names, kinds and defaults."""
    a = node.args

    def names(args: list[ast.arg]) -> tuple[str, ...]:
        return tuple(arg.arg for arg in args)

    return (
        isinstance(node, ast.AsyncFunctionDef),
        names(a.posonlyargs),
        names(a.args),
        a.vararg.arg if a.vararg else None,
        names(a.kwonlyargs),
        a.kwarg.arg if a.kwarg else None,
        tuple(ast.dump(d) for d in a.defaults),
        tuple(ast.dump(d) if d is not None else None for d in a.kw_defaults),
    )


def _normal_form(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """AST dump without formatting, comments, docstring, positions."""
    body = list(node.body)
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    return ast.dump(ast.Module(body=[*node.decorator_list, *body], type_ignores=[]))


def _find_def(
    stmts: list[ast.stmt], target: Target
) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, int | None]:
    """The candidate's definition of the target (top level, or inside the same classes)."""
    for index, stmt in enumerate(stmts):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == target.name:
            return stmt, index
    # The whole class (or module) came back: walk the target's path.
    for index, stmt in enumerate(stmts):
        if isinstance(stmt, ast.ClassDef) and target.is_method and stmt.name in target.path[:-1]:
            body = stmt.body
            start = target.path.index(stmt.name) + 1
            node: ast.AST | None = stmt
            for part in target.path[start:]:
                node = next(
                    (
                        s
                        for s in body
                        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                        and s.name == part
                    ),
                    None,
                )
                if node is None:
                    break
                body = getattr(node, "body", [])
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node, index
    return None, None


def _bound_names(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [stmt.name]
    if isinstance(stmt, ast.Assign):
        return [n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [stmt.target.id]
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return [(a.asname or a.name).split(".")[0] for a in stmt.names]
    return []


def _import_specs(stmt: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
    """(bound name, one-alias import statement) for each name the import binds."""
    specs = []
    for alias in stmt.names:
        if isinstance(stmt, ast.Import):
            bound = alias.asname or alias.name.split(".")[0]
            code = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
        else:
            module = "." * stmt.level + (stmt.module or "")
            bound = alias.asname or alias.name
            code = f"from {module} import {alias.name}" + (
                f" as {alias.asname}" if alias.asname else ""
            )
        specs.append((bound, code))
    return specs


def _module_bindings(tree: ast.Module) -> tuple[dict[str, str], dict[str, str]]:
    """Top-level names: (name -> normalized import code, name -> dump of its definition)."""
    imports: dict[str, str] = {}
    others: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            for bound, code in _import_specs(stmt):
                imports[bound] = code
        else:
            for name in _bound_names(stmt):
                others[name] = ast.dump(stmt)
    return imports, others


@dataclass(frozen=True, slots=True)
class Spliced:
    """An accepted candidate: the whole new module and what was added."""

    optimized_code: str
    function_code: str
    added_imports: tuple[str, ...]
    added_helpers: tuple[str, ...]


def check_and_splice(original: str, target: Target, raw: RawCandidate) -> Spliced:
    """Check one candidate against the original and build the whole new module.

    Raises Rejected with the reason.
    """
    try:
        cand_tree = ast.parse(raw.code)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        raise Rejected(f"does not parse (line {line}): {getattr(exc, 'msg', exc)}") from None
    new_def, def_index = _find_def(cand_tree.body, target)
    if new_def is None or def_index is None:
        defs = [
            s.name for s in cand_tree.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        if defs:
            raise Rejected(f"renames the function: defines {defs[0]!r}, not {target.name!r}")
        raise Rejected(f"does not define {target.name!r}")
    if signature_key(new_def) != signature_key(target.node):
        raise Rejected(f"changes the signature of {target.name!r}")
    if _normal_form(new_def) == _normal_form(target.node):
        raise Rejected("identical to the original (modulo formatting)")

    orig_tree = ast.parse(original)
    imports, others = _module_bindings(orig_tree)
    original_stmts = {ast.dump(stmt) for stmt in orig_tree.body}
    new_imports: list[str] = []
    helpers: list[ast.stmt] = []
    for index, stmt in enumerate(cand_tree.body):
        if index == def_index:
            continue
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            for bound, code in _import_specs(stmt):
                if imports.get(bound) == code or code in new_imports:
                    continue
                if bound in imports or bound in others:
                    raise Rejected(f"import rebinds existing name {bound!r}")
                new_imports.append(code)
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a stray docstring or string literal
        if ast.dump(stmt) in original_stmts:
            continue  # an unchanged copy of a statement of the module
        names = _bound_names(stmt)
        if not names or not isinstance(
            stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Assign | ast.AnnAssign
        ):
            raise Rejected(f"unexpected top-level statement at line {stmt.lineno}")
        if target.is_method and isinstance(stmt, ast.ClassDef) and stmt.name in target.path:
            continue  # the enclosing class echoed back around the method
        clash = [n for n in names if n in others or n in imports]
        if clash:
            raise Rejected(f"redefines existing name {clash[0]!r}")
        helpers.append(stmt)

    function_code = statement_source(raw.code, new_def)
    helper_code = [statement_source(raw.code, h) for h in helpers]
    try:
        optimized = splice(original, target, function_code, new_imports, helper_code)
        new_tree = ast.parse(optimized)
    except (SyntaxError, cst.ParserSyntaxError) as exc:
        raise Rejected(f"could not splice the candidate into the module: {exc}") from None
    if ast.dump(new_tree) == ast.dump(orig_tree):
        raise Rejected("identical to the original (modulo formatting)")
    return Spliced(
        optimized_code=optimized,
        function_code=function_code,
        added_imports=tuple(new_imports),
        added_helpers=tuple(helper_code),
    )


def statement_source(code: str, node: ast.stmt) -> str:
    """Source lines of a statement, decorators included, dedented."""
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(d.lineno for d in decorators)])
    lines = code.splitlines()[first - 1 : node.end_lineno]
    return textwrap.dedent("\n".join(lines)) + "\n"


# Splicing -----------------------------------------------------------------------------


class _Replace(cst.CSTTransformer):
    """Replace the definition at ``path``; with several, the ``which``-th (0-based)."""

    def __init__(self, path: tuple[str, ...], new_def: cst.FunctionDef, which: int = 0) -> None:
        self.path = path
        self.new_def = new_def
        self.which = which
        self.stack: list[str] = []
        self.seen = 0
        self.replaced = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.stack.append(node.name.value)
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.stack.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.stack.append(node.name.value)
        return tuple(self.stack) != self.path

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        here = tuple(self.stack)
        self.stack.pop()
        if here != self.path:
            return updated_node
        self.seen += 1
        if self.seen - 1 != self.which:
            return updated_node
        self.replaced += 1
        return self.new_def.with_changes(leading_lines=original_node.leading_lines)


def splice(
    original: str,
    target: Target,
    function_code: str,
    imports: list[str],
    helpers: list[str],
) -> str:
    """Whole module with the target replaced, ``imports`` at the top, ``helpers`` before
    the top-level statement that holds the target."""
    module = cst.parse_module(original)
    new_def = next(
        s for s in cst.parse_module(function_code).body if isinstance(s, cst.FunctionDef)
    )
    counter = _Replace(target.path, new_def, which=-1)
    module.visit(counter)
    # Python binds the last definition of a name; locate() picks that one too.
    replacer = _Replace(target.path, new_def, which=counter.seen - 1)
    module = module.visit(replacer)
    if not replacer.replaced:  # pragma: no cover - locate() found it in the same source
        raise Rejected("could not place the function in the module")

    body = list(module.body)
    if helpers:
        holder = _top_index(module, target)
        new_stmts: list[cst.BaseStatement] = []
        for code in helpers:
            parsed = cst.parse_module(code.strip("\n") + "\n").body
            for i, stmt in enumerate(parsed):
                if i == 0 and (holder > 0 or new_stmts):
                    stmt = stmt.with_changes(leading_lines=[cst.EmptyLine()] * 2)
                new_stmts.append(stmt)
        body[holder:holder] = new_stmts
    if imports:
        at = _import_insert_index(module)
        body[at:at] = [cst.parse_statement(code + "\n") for code in imports]
    return module.with_changes(body=body).code


def _top_index(module: cst.Module, target: Target) -> int:
    holder = None
    for index, stmt in enumerate(module.body):
        if (
            isinstance(stmt, cst.FunctionDef | cst.ClassDef)
            and stmt.name.value == target.path[0]
        ):
            holder = index  # the last one wins, as in Python
    if holder is None:  # pragma: no cover - locate() found it in the same source
        raise Rejected("could not place the helpers in the module")
    return holder


def _import_insert_index(module: cst.Module) -> int:
    """After the module docstring and the leading block of imports."""
    index = 0
    body = module.body
    if body and _is_docstring(body[0]):
        index = 1
    while index < len(body) and _is_import(body[index]):
        index += 1
    return index


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _is_import(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Import | cst.ImportFrom) for s in stmt.body
    )


def valid_action_type(name: str | None) -> str | None:
    """The name when it is a known action type other than no_change, else None."""
    if name and name in ACTION_MEANINGS and name != "no_change":
        return name
    return None
