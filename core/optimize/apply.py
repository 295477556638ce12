"""Writing verified rewrites back to a module: choose, merge, write atomically.

Every suggestion for a module is a whole-module rewrite of the same original. The
best-ranked one is the base; a further one that rewrites other functions is merged into
it (its definitions replace theirs by qualified name, its new imports and new module
constants are added) only when that is all it changes. A merged module was never verified as a whole: the caller
verifies it again before writing it (`plan_rewrites` says whether it merged).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst


class FileChangedError(RuntimeError):
    """The file on disk is no longer the text the rewrites were made from."""


@dataclass(slots=True)
class Rewrite:
    suggestion: dict[str, Any]
    code: str  # the whole rewritten module
    functions: list[str]  # qualified names it rewrites


@dataclass(slots=True)
class ApplyPlan:
    code: str  # the module to write
    applied: list[Rewrite]  # best first
    not_applied: list[tuple[Rewrite, str]] = field(default_factory=list)  # and why

    @property
    def merged(self) -> bool:
        return len(self.applied) > 1

    @property
    def functions(self) -> list[str]:
        return [f for rw in self.applied for f in rw.functions]


def plan_rewrites(original: str, rewrites: Sequence[Rewrite]) -> ApplyPlan:
    """The best rewrite (the first) with each further one merged in when it touches other
    functions and merges cleanly; the others are listed with the reason."""
    best, *rest = rewrites
    plan = ApplyPlan(best.code, [best])
    for rw in rest:
        clash = [f for f in rw.functions if any(_overlap(f, g) for g in plan.functions)]
        if clash:
            plan.not_applied.append((rw, f"{', '.join(clash)} already rewritten by a better suggestion"))
            continue
        merged = merge_functions(original, plan.code, rw.code, rw.functions)
        if merged is None:
            plan.not_applied.append(
                (rw, "changes more than its functions and imports: cannot be merged cleanly"))
            continue
        plan.code = merged
        plan.applied.append(rw)
    return plan


def merge_functions(original: str, base: str, donor: str, functions: Sequence[str]) -> str | None:
    """``base`` with the definitions of ``functions`` taken from ``donor`` and the donor's
    new imports added, or None when ``donor`` (a rewrite of ``original``) changes anything
    else or a definition is missing."""
    try:
        original_m, base_m, donor_m = (cst.parse_module(code) for code in (original, base, donor))
    except cst.ParserSyntaxError:
        return None
    wanted = set(functions)
    collector = _Definitions(wanted)
    donor_m.visit(collector)
    if set(collector.found) != wanted:
        return None
    # clean: the donor is the original with just these definitions replaced, plus imports
    # and new module constants (``_WORDS_RE = re.compile(...)`` from the regex rule)
    constants = _new_constants(original_m, donor_m)
    if constants is None:
        return None
    donor_core = donor_m.with_changes(body=[s for s in donor_m.body if s not in constants])
    check = _Replace(collector.found)
    if _without_imports(original_m.visit(check)) != _without_imports(donor_core) or check.replaced != wanted:
        return None
    replace = _Replace(collector.found)
    merged = base_m.visit(replace)
    if replace.replaced != wanted:
        return None
    merged = _add_constants(merged, donor_m, constants, taken=_module_names(base_m))
    if merged is None:
        return None
    present = {_code(s) for s in merged.body if _is_import(s)}
    new_imports = [s for s in donor_m.body if _is_import(s) and _code(s) not in present]
    return _add_imports(merged, new_imports).code


def _assigned_name(stmt: cst.CSTNode) -> str | None:
    """``NAME = value`` at module level (one target, one statement on the line)."""
    if (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.Assign) and len(stmt.body[0].targets) == 1
            and isinstance(stmt.body[0].targets[0].target, cst.Name)):
        return stmt.body[0].targets[0].target.value
    return None


def _module_names(module: cst.Module) -> set[str]:
    """Every name the module's code mentions (so a new constant cannot shadow anything)."""
    names: set[str] = set()

    class Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            names.add(node.value)

    module.visit(Names())
    return names


def _new_constants(original: cst.Module, donor: cst.Module) -> list[cst.CSTNode] | None:
    """The donor's top-level ``NAME = value`` lines whose name the original never uses;
    None when the donor adds a top-level statement of another kind (not mergeable)."""
    known = {_code(s) for s in original.body}
    used = _module_names(original)
    added = [s for s in donor.body if _code(s) not in known
             and not _is_import(s) and not isinstance(s, cst.FunctionDef | cst.ClassDef)]
    for stmt in added:
        name = _assigned_name(stmt)
        if name is None or name in used:
            return None
    return added


def _add_constants(merged: cst.Module, donor: cst.Module, constants: Sequence[cst.CSTNode],
                   *, taken: set[str]) -> cst.Module | None:
    """Place each constant after the statement it follows in the donor (its anchor: the
    last import, or the module constant its value reads). None when a name is already
    ``taken`` (used by the module merged into) or an anchor cannot be found."""
    if not constants:
        return merged
    body = list(merged.body)
    donor_body = list(donor.body)
    ours = {_assigned_name(c) for c in constants}
    for stmt in constants:
        name = _assigned_name(stmt)
        if name in taken:
            return None
        at = donor_body.index(stmt)
        anchor = next((s for s in reversed(donor_body[:at]) if s not in constants), None)
        if anchor is None:
            pos = 0
        else:
            matches = [i for i, s in enumerate(body) if _code(s) == _code(anchor)]
            if len(matches) != 1:
                return None
            pos = matches[0] + 1
            # after imports another rewrite added there, and after constants placed there
            # already (in donor order): never between imports
            while pos < len(body) and (_is_import(body[pos]) or _assigned_name(body[pos]) in ours):
                pos += 1
        body.insert(pos, stmt)
        taken.add(name)  # type: ignore[arg-type]
    return merged.with_changes(body=body)


def write_back(path: str | os.PathLike[str], code: str, *, expected: str) -> Path:
    """Replace the module at ``path`` (a link's target) by ``code``: a temporary file in the
    same folder, fsynced, then renamed over it, with the file's mode and line endings kept.
    FileChangedError, and nothing written, when it no longer reads as ``expected``."""
    from ml.transitions import atomic_writer

    target = Path(path).resolve()
    if target.read_text(encoding="utf-8") != expected:
        raise FileChangedError("changed on disk since it was read: not written")
    if b"\r\n" in target.read_bytes():
        code = code.replace("\r\n", "\n").replace("\n", "\r\n")
    mode = stat.S_IMODE(target.stat().st_mode)
    with atomic_writer(target) as fh:
        fh.write(code.encode("utf-8"))
        os.fchmod(fh.fileno(), mode)
        if target.read_text(encoding="utf-8") != expected:  # last look before the rename
            raise FileChangedError("changed on disk while it was written: not written")
    return target


# --- LibCST ------------------------------------------------------------------------


def _overlap(a: str, b: str) -> bool:
    """One function is the other or holds it (``outer`` and ``outer.inner``)."""
    return a == b or a.startswith(f"{b}.") or b.startswith(f"{a}.")


class _Scoped:
    """Tracks the qualified name of the definition being visited."""

    def __init__(self) -> None:
        self.stack: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.stack.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef, *rest: Any) -> Any:
        self.stack.pop()
        return rest[0] if rest else None

    def _enter(self, node: cst.FunctionDef) -> None:
        self.stack.append(node.name.value)

    def _leave(self) -> str:
        name = ".".join(self.stack)
        self.stack.pop()
        return name


class _Definitions(_Scoped, cst.CSTVisitor):
    def __init__(self, wanted: set[str]) -> None:
        super().__init__()
        self.wanted = wanted
        self.found: dict[str, cst.FunctionDef] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._enter(node)
        name = ".".join(self.stack)
        if name in self.wanted:
            self.found[name] = node

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._leave()


class _Replace(_Scoped, cst.CSTTransformer):
    def __init__(self, definitions: dict[str, cst.FunctionDef]) -> None:
        super().__init__()
        self.definitions = definitions
        self.replaced: set[str] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._enter(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef,
                          updated_node: cst.FunctionDef) -> cst.FunctionDef:
        name = self._leave()
        new = self.definitions.get(name)
        if new is None:
            return updated_node
        self.replaced.add(name)
        return new.with_changes(leading_lines=original_node.leading_lines)


def _is_import(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Import | cst.ImportFrom) for small in stmt.body)


def _code(stmt: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(stmt).strip()


def _without_imports(module: cst.Module) -> str:
    """The module's code without its top-level imports or blank lines and comments between
    statements (an added import may move those)."""
    body = [s.with_changes(leading_lines=()) for s in module.body if not _is_import(s)]
    return module.with_changes(body=body).code


def _add_imports(module: cst.Module, imports: Sequence[cst.SimpleStatementLine]) -> cst.Module:
    """Insert ``imports`` after the imports at the top of the module (after its docstring
    when it has none)."""
    if not imports:
        return module
    body = list(module.body)
    pos = 0
    for i, stmt in enumerate(body):
        if _is_import(stmt):
            pos = i + 1
        elif i == 0 and _is_docstring(stmt):
            pos = 1
        else:
            break
    new = [s.with_changes(leading_lines=()) for s in imports]
    return module.with_changes(body=[*body[:pos], *new, *body[pos:]])


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.Expr)
            and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString))
