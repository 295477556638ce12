"""Turn rule rewrites into whole-module candidates: one per (rule, function)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from core.analysis.model import FileAnalysis
from core.optimize.candidate import RewriteCandidate
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule, children_cache

log = logging.getLogger(__name__)


def build_module(ctx: ModuleContext, unit: FunctionUnit, rw: Rewrite) -> str:
    """The whole module with ``unit`` replaced, imports added and module statements placed."""
    module = _replace_unit(ctx.module, unit, rw.new_node)
    if rw.imports:
        cctx = CodemodContext()
        for spec in dict.fromkeys(rw.imports):
            AddImportsVisitor.add_needed_import(cctx, spec.module, spec.obj)
        module = AddImportsVisitor(cctx).transform_module(module)
    if rw.module_statements:
        module = _insert_module_statements(module, rw.module_statements, unit, rw.module_anchors)
    return module.code


def _replace_unit(module: cst.Module, unit: FunctionUnit, new: cst.FunctionDef) -> cst.Module:
    """``module`` with the unit's definition replaced, rebuilding only the enclosing
    statement lists (``deep_replace`` would revisit the whole tree)."""
    if unit.class_node is None:
        return module.with_changes(body=[new if s is unit.node else s for s in module.body])
    cls = unit.class_node
    body = cls.body.with_changes(body=[new if s is unit.node else s for s in cls.body.body])
    new_cls = cls.with_changes(body=body)
    return module.with_changes(body=[new_cls if s is cls else s for s in module.body])


def _insert_module_statements(
    module: cst.Module,
    stmts: Sequence[cst.SimpleStatementLine],
    unit: FunctionUnit,
    anchors: Sequence[str] = (),
) -> cst.Module:
    """Place ``stmts`` after the last top-level import that precedes the unit's definition
    (after the docstring when there is none), and after the top-level assignments of the
    ``anchors`` names they read, so they run before the function can be called."""
    top = unit.class_node or unit.node
    body = list(module.body)
    limit = next(
        (i for i, s in enumerate(body) if s is top or _defines(s, top)), len(body)
    )  # the unit's statement was rebuilt; find it by name
    pos = 0
    for i, s in enumerate(body[:limit]):
        if _is_import_line(s):
            pos = i + 1
        elif i == 0 and _is_docstring(s):
            pos = 1
    for i, s in enumerate(body):
        if _assigns(s, anchors):
            pos = max(pos, i + 1)
    new = [
        s.with_changes(leading_lines=[cst.EmptyLine()]) if k == 0 else s
        for k, s in enumerate(stmts)
    ]
    return module.with_changes(body=[*body[:pos], *new, *body[pos:]])


def _defines(stmt: cst.CSTNode, top: cst.FunctionDef | cst.ClassDef) -> bool:
    return isinstance(stmt, type(top)) and stmt.name.value == top.name.value


def _assigns(stmt: cst.CSTNode, names: Sequence[str]) -> bool:
    if not names or not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        targets = []
        if isinstance(small, cst.Assign):
            targets = [t.target for t in small.targets]
        elif isinstance(small, cst.AnnAssign):
            targets = [small.target]
        if any(isinstance(t, cst.Name) and t.value in names for t in targets):
            return True
    return False


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Import | cst.ImportFrom) for s in stmt.body
    )


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def run_rules(
    source: str,
    rules: Sequence[Rule],
    analysis: FileAnalysis | None = None,
    *,
    action_order: list[str] | None = None,
    strict: bool = False,
) -> list[RewriteCandidate]:
    """Apply each rule to each unit of ``source``; see `core.rules.propose_rewrites`."""
    with children_cache():  # node children are computed once per run
        if analysis is not None and analysis.error:
            return []
        try:
            ctx = ModuleContext(source)
        except (cst.ParserSyntaxError, RecursionError) as exc:
            log.info("rules skipped: source does not parse (%s)", exc)
            return []
        found: dict[str, set[str]] = {}
        if analysis is not None:
            for f in analysis.findings:
                found.setdefault(f.function or "", set()).add(f.detector_id)

        ranked: list[tuple[int, int, int, RewriteCandidate]] = []
        rank = {a: i for i, a in enumerate(action_order or [])}
        for r_i, rule in enumerate(rules):
            for u_i, unit in enumerate(ctx.units):
                ctx.reset_reserved()
                try:
                    rw = rule.rewrite_unit(ctx, unit)
                    if rw is None:
                        continue
                    code = build_module(ctx, unit, rw)
                    compile(code, "<candidate>", "exec")
                except Exception:
                    if strict:
                        raise
                    log.exception("rule %s failed on %s; skipped", rule.id, unit.qualname)
                    continue
                if code == source:
                    continue
                hits = [d for d in rule.detector_ids if d in found.get(unit.qualname, ())]
                reasoning = rule.reasoning
                if rw.needs_verification:
                    reasoning += f" Not proven statically: {rw.unproven}; verification decides."
                cand = RewriteCandidate(
                    rule_id=rule.id,
                    action_type=rule.action_type,
                    description=rw.summary,
                    reasoning=reasoning,
                    original_code=source,
                    optimized_code=code,
                    target_functions=[unit.qualname],
                    implementation_effort=rule.effort,
                    needs_verification=rw.needs_verification,
                    detector_ids=hits or list(rule.detector_ids),
                    origin="rule",
                )
                ranked.append((rank.get(rule.action_type, len(rank)), r_i, u_i, cand))
        ranked.sort(key=lambda t: t[:3])
        return [t[3] for t in ranked]
