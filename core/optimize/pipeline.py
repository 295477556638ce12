"""The optimization pipeline: analyse → rank → propose → verify → measure → report → learn.

``optimize_source`` is what the CLI, the Celery task and the embedded API all call. It
returns only what it measured: every suggestion carries the sandbox's figures and the
evidence behind them, and every measured attempt becomes a learning transition.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import logging
import shlex
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.analysis import analyze_source
from core.analysis.model import FileAnalysis
from core.optimize.candidate import RewriteCandidate
from core.progress import Progress, no_progress
from core.settings import Settings, get_settings
from core.verify.project import above_src, find_tests

log = logging.getLogger(__name__)

#: Statuses a suggestion may be reported with. Candidates that failed verification are
#: listed under ``attempts`` instead, so nobody applies a rewrite that was not proven.
@dataclass(slots=True)
class OptimizeRequest:
    """What the caller asks for; field names are the guide's."""

    code: str
    file_path: str | None = None
    objective_weights: dict[str, float] | None = None
    max_suggestions: int | None = None
    run_validation: bool = True
    unit_test_command: str | None = None
    project_dir: str | None = None  # root the test command runs in (a patched copy of it)
    module_relpath: str | None = None  # the module's path inside project_dir
    use_llm: bool = True
    max_candidates: int = 12  # verification budget per request
    # only rewrites of this function: its qualified name ("Class.method"), or a plain
    # name standing for every function so named
    function_name: str | None = None
    cross_file_context: list[Any] = field(default_factory=list)  # core.llm.ContextSnippet


class UnknownFunctionError(ValueError):
    """``function_name`` names no function of the module."""


@dataclass(slots=True)
class OptimizeOutcome:
    suggestions: list[dict[str, Any]]
    attempts: list[dict[str, Any]]
    analysis: FileAnalysis
    policy: dict[str, Any]
    llm_provider: str | None
    llm_model: str | None
    processing_time_seconds: float
    record_id: int | None = None
    # not part of the response: ``source`` (the code optimized), ``rewrites`` (each
    # suggestion's whole rewritten module, by suggestion_id) and ``verify`` (the keyword
    # arguments verify_and_measure was given), so a caller can apply or re-verify them
    extras: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the caller should know (response)

    def to_response(self) -> dict[str, Any]:
        """The body of ``POST /optimize`` (the guide's fields first)."""
        return {
            "suggestions": self.suggestions,
            "processing_time_seconds": round(self.processing_time_seconds, 3),
            "llm_provider": self.llm_provider,
            "llm_model": self.llm_model,
            "policy": self.policy,
            "attempts": self.attempts,
            "analysis": {
                "file_path": self.analysis.file_path,
                "complexity_score": self.analysis.complexity_score,
                "maintainability_score": self.analysis.maintainability_score,
                "findings": [f.to_dict() for f in self.analysis.findings],
                "error": self.analysis.error,
            },
            "record_id": self.record_id,
            "notes": self.notes,
        }


def normalise_weights(weights: dict[str, float] | None, settings: Settings) -> dict[str, float]:
    """Runtime/memory weights, defaulting to the settings and scaled to sum to 1."""
    if not weights:
        weights = settings.objective_weights
    runtime = float(weights.get("runtime", 0.0))
    memory = float(weights.get("memory", 0.0))
    if runtime < 0 or memory < 0:
        raise ValueError("objective_weights must not be negative")
    total = runtime + memory
    if total <= 0:
        raise ValueError("objective_weights must not both be zero")
    return {"runtime": runtime / total, "memory": memory / total}


def optimize_source(
    request: OptimizeRequest,
    *,
    settings: Settings | None = None,
    progress: Progress = no_progress,
    record: bool = True,
) -> OptimizeOutcome:
    """Run the whole pipeline on one module's source."""
    settings = settings or get_settings()
    started = time.perf_counter()
    weights = normalise_weights(request.objective_weights, settings)
    max_suggestions = request.max_suggestions or settings.DEFAULT_MAX_SUGGESTIONS

    progress(phase="analysing", progress=0.0)
    analysis = analyze_source(request.code, request.file_path or "<inline>")
    if analysis.error:
        raise ValueError(f"cannot analyse the code: {analysis.error}")

    wanted = functions_named(analysis, request.function_name) if request.function_name else None
    state, ranking, policy_info = _rank(analysis, settings)

    progress(phase="proposing", progress=0.1)
    candidates = _rule_candidates(request.code, analysis, ranking)
    llm_provider = llm_model = None
    if request.use_llm:
        llm_candidates, llm_provider, llm_model = _llm_candidates(
            request, analysis, ranking, weights, settings, target=wanted[0] if wanted else None
        )
        candidates.extend(llm_candidates)
    if wanted:  # before the budget: it is spent on that function
        candidates = [c for c in candidates if set(wanted).intersection(c.target_functions)]
    candidates = _order(candidates, ranking)[: request.max_candidates]

    from core.verify import verify_and_measure

    verify_kwargs: dict[str, Any] = {
        "test_command": _resolve_test_command(request, settings),
        "project_dir": request.project_dir,
        "module_relpath": request.module_relpath,
        "run_validation": request.run_validation,
        "objective_weights": weights,
    }
    rewrites: dict[str, str] = {}
    suggestions: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    measured: list[tuple[RewriteCandidate, Any]] = []
    for i, candidate in enumerate(candidates):
        progress(phase=f"verifying {candidate.rule_id}", progress=0.2 + 0.7 * i / max(len(candidates), 1))
        result = verify_and_measure(
            request.code,
            candidate.optimized_code,
            candidate.target_functions,
            settings=settings,
            **verify_kwargs,
        )
        evidence = result.to_dict()
        attempts.append(
            {
                "rule_id": candidate.rule_id,
                "category": candidate.action_type,
                "functions": candidate.target_functions,
                "validation_status": result.validation_status,
                "reason": result.reason,
                "speedup": evidence.get("speedup"),
            }
        )
        measured.append((candidate, result))
        if result.validation_status == "validated" or (
                not request.run_validation and result.validation_status == "skipped"
                and result.speedup is not None):
            suggestions.append(_suggestion(candidate, result, weights))
            rewrites[suggestions[-1]["suggestion_id"]] = candidate.optimized_code

    suggestions.sort(key=_rank_key)
    suggestions = suggestions[:max_suggestions]
    elapsed = time.perf_counter() - started
    outcome = OptimizeOutcome(
        suggestions=suggestions,
        attempts=attempts,
        analysis=analysis,
        policy=policy_info,
        llm_provider=llm_provider,
        llm_model=llm_model,
        processing_time_seconds=elapsed,
        extras={"source": request.code, "rewrites": rewrites, "verify": verify_kwargs},
    )
    if record:
        progress(phase="recording", progress=0.95)
        outcome.record_id = _record(request, outcome, measured, state, weights, settings)
    progress(phase="done", progress=1.0)
    return outcome


def optimize_file(
    path: str | Path,
    *,
    settings: Settings | None = None,
    progress: Progress = no_progress,
    **options: Any,
) -> OptimizeOutcome:
    """Optimize a module on disk; its tests (if any) run against patched copies.

    A script in a folder too big to copy into the sandbox (a home directory, /tmp) is
    verified on its own, without the folder's tests, and the response's ``notes`` say so.
    """
    from core.verify.sandbox import STAGE_MAX_BYTES, STAGE_MAX_FILES, tree_fits

    file_path = Path(path).resolve()
    code = file_path.read_text(encoding="utf-8")
    project_dir = Path(options.pop("project_dir", None) or package_root(file_path))
    if tree_fits(project_dir):
        request = OptimizeRequest(
            code=code,
            file_path=str(path),
            project_dir=str(project_dir),
            module_relpath=str(file_path.relative_to(project_dir.resolve())),
            **options,
        )
        return optimize_source(request, settings=settings, progress=progress)
    outcome = optimize_source(OptimizeRequest(code=code, file_path=str(path), **options),
                              settings=settings, progress=progress)
    outcome.notes.append(
        f"{project_dir} is too large to copy into the sandbox (over {STAGE_MAX_FILES:,} files "
        f"or {STAGE_MAX_BYTES >> 20} MiB): the module was verified on its own, without that "
        "folder's tests or sibling modules; run Velox on the project's own folder to use them")
    return outcome


def functions_named(analysis: FileAnalysis, name: str) -> list[str]:
    """The qualified names ``name`` stands for in the analysed module: itself, or (a name
    without a dot) every function or method so named. UnknownFunctionError when none."""
    names = [m.name for m in analysis.function_metrics]
    found = [n for n in names if n == name or "." not in name and n.rsplit(".", 1)[-1] == name]
    if not found:
        listed = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "") or "none"
        raise UnknownFunctionError(
            f"no function named {name!r} in {analysis.file_path} (its functions: {listed})")
    return found


def package_root(path: str | Path, *, within: Sequence[Path] = ()) -> Path:
    """The folder a module is imported from: above the outermost package holding ``path``
    (pytest's rootdir-less rule), or ``path``'s own folder when it is in no package.

    ``toolz/itertoolz.py`` does ``from toolz.utils import ...``: run from ``toolz/`` itself
    it cannot import, and its tests (``toolz/tests/``) import ``toolz`` too. With ``within``
    (the API's ``ALLOWED_CODE_ROOTS``) it never climbs out of the roots holding ``path``.
    A src-layout project's ``src/`` gives way to the project root, where its tests are.
    """
    folder = Path(path).resolve()
    if not folder.is_dir():
        folder = folder.parent
    bounds = [Path(r).resolve() for r in within]
    bounds = [b for b in bounds if b == folder or b in folder.parents]
    if within and not bounds:
        return folder

    def may_climb(to: Path) -> bool:
        return not bounds or any(b == to or b in to.parents for b in bounds)

    while (folder / "__init__.py").is_file() and folder.parent != folder:
        if not may_climb(folder.parent):
            break
        folder = folder.parent
    root = above_src(folder)
    return root if may_climb(root) else folder


# --- steps -------------------------------------------------------------------------


def _rank(analysis: FileAnalysis, settings: Settings) -> tuple[list[float], list[str], dict[str, Any]]:
    """Ask the active policy to order the action types for this code's state."""
    from ml.policy import get_policy_manager
    from ml.state import build_state

    state = build_state(analysis)
    ranking = get_policy_manager(settings).rank(state)
    info = {"model_version": ranking.model_version, "source": ranking.source,
            "ranking": ranking.actions[:5]}
    return state, ranking.actions, info


def _rule_candidates(source: str, analysis: FileAnalysis, ranking: list[str]) -> list[RewriteCandidate]:
    from core.rules import propose_rewrites

    return propose_rewrites(source, analysis, action_order=ranking)


def _llm_candidates(
    request: OptimizeRequest,
    analysis: FileAnalysis,
    ranking: list[str],
    weights: dict[str, float],
    settings: Settings,
    *,
    target: str | None = None,
) -> tuple[list[RewriteCandidate], str | None, str | None]:
    from core.llm import LLMRequest, configured_tiers, propose_llm_candidates

    if not configured_tiers(settings):
        return [], None, None
    target = target or _llm_target(analysis)
    if target is None:
        return [], None, None
    findings = [f for f in analysis.findings if f.function == target] or analysis.findings
    llm_request = LLMRequest(
        source=request.code,
        function_name=target,
        path=request.file_path or "<inline>",
        findings=findings,
        action_type=next((a for a in ranking if a != "no_change"), ranking[0]),
        objective_weights=weights,
        cross_file_context=list(request.cross_file_context),
    )
    result = propose_llm_candidates(llm_request, settings=settings)
    return list(result.candidates), result.provider, result.model


def _llm_target(analysis: FileAnalysis) -> str | None:
    """The function an LLM is asked about: the one with the most severe findings,
    else the most complex one."""
    weight = {"high": 3, "medium": 2, "low": 1}
    scores: dict[str, int] = {}
    for finding in analysis.findings:
        if finding.function:
            scores[finding.function] = scores.get(finding.function, 0) + weight[finding.severity]
    if scores:
        return max(scores, key=lambda name: scores[name])
    if analysis.function_metrics:
        return max(analysis.function_metrics, key=lambda m: m.cyclomatic_complexity).name
    return None


def _order(candidates: list[RewriteCandidate], ranking: list[str]) -> list[RewriteCandidate]:
    position = {name: i for i, name in enumerate(ranking)}
    return sorted(candidates, key=lambda c: (position.get(c.action_type, len(position)), c.origin != "rule"))


def _resolve_test_command(request: OptimizeRequest, settings: Settings) -> str | None:
    """The user's test command with ``{path}`` filled in, or None when there is nothing to run.

    ``{path}`` is the module's test file when one sits beside it (``test_<stem>.py``), in a
    ``tests/`` folder beside it (``pkg/tests/``) or in a ``tests/`` or ``test/`` folder of
    the project; else the test files that import the module (or its package); else, for
    an explicit command, the project directory.
    """
    if not request.project_dir or not request.module_relpath:
        return None
    command = request.unit_test_command or settings.UNIT_TEST_COMMAND
    project = Path(request.project_dir)
    module = Path(request.module_relpath)
    test_name = f"test_{module.stem}.py"
    for candidate in (module.parent / test_name, module.parent / "tests" / test_name,
                      Path("tests") / test_name, Path("test") / test_name):
        if (project / candidate).is_file():
            return command.replace("{path}", str(candidate))
    importing = find_tests(project, request.module_relpath)
    if importing:
        return command.replace("{path}", " ".join(shlex.quote(t) for t in importing))
    if request.unit_test_command:
        return command.replace("{path}", ".")
    return None  # no test for this module: equivalence on recorded/generated inputs decides


# --- report ------------------------------------------------------------------------


def _suggestion(candidate: RewriteCandidate, result: Any, weights: dict[str, float]) -> dict[str, Any]:
    evidence = result.to_dict()
    runtime = evidence.get("runtime_delta_pct")
    memory = evidence.get("memory_delta_pct")
    score = evidence.get("weighted_score")
    evidence["rule_id"] = candidate.rule_id
    evidence["origin"] = candidate.origin
    evidence["objective_weights"] = weights
    return {
        "suggestion_id": str(uuid.uuid4()),
        "category": candidate.action_type,
        "priority": _priority(evidence.get("speedup"), score),
        "description": candidate.description,
        "original_code": function_source(candidate.original_code, candidate.target_functions),
        "optimized_code": _optimized_snippet(candidate),
        "patch_diff": unified_diff(candidate.original_code, candidate.optimized_code),
        "expected_runtime_delta_pct": runtime,
        "expected_memory_delta_pct": memory,
        "expected_weighted_score": score,
        "confidence": _confidence(result.validation_status, evidence),
        "validation_status": result.validation_status,
        "implementation_effort": candidate.implementation_effort,
        "reasoning": candidate.reasoning,
        "evidence": evidence,
    }


def _rank_key(suggestion: dict[str, Any]) -> tuple[int, float]:
    validated = 0 if suggestion["validation_status"] == "validated" else 1
    score = suggestion["expected_weighted_score"]
    return validated, score if score is not None else 0.0


def _priority(speedup: float | None, score: float | None) -> str:
    if speedup is not None and speedup >= 2.0 or score is not None and score <= -40:
        return "high"
    if speedup is not None and speedup >= 1.2 or score is not None and score <= -10:
        return "medium"
    return "low"


def _confidence(status: str, evidence: dict[str, Any]) -> float:
    """How much the evidence supports the claim, 0-1 (documented in the README).

    Starts from the status, then adds for compared calls and tests that ran.
    """
    if status != "validated":
        return 0.2
    calls = int(evidence.get("calls_compared") or 0)
    tests = len(evidence.get("tests_run") or [])
    confidence = 0.6 + min(calls, 50) / 50 * 0.25 + (0.1 if tests else 0.0)
    return round(min(confidence, 0.99), 2)


def unified_diff(before: str, after: str, fromfile: str = "original", tofile: str = "optimized") -> str:
    """A unified diff ``patch`` and ``git apply`` accept, a last line without a newline included."""
    lines = difflib.unified_diff(_lines(before), _lines(after), fromfile=fromfile, tofile=tofile)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def _lines(text: str) -> list[str]:
    """Lines as ``patch`` sees them: split at newlines only (str.splitlines also splits
    at form feeds and other separators that may stand inside a line of code)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def function_source(source: str, qualified_names: list[str]) -> str:
    """The source of the named functions (with decorators), in file order."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    wanted = set(qualified_names)
    chunks: list[str] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if name in wanted and not isinstance(child, ast.ClassDef):
                    start = min([d.lineno for d in child.decorator_list] + [child.lineno])
                    chunks.append("".join(lines[start - 1 : child.end_lineno]))
                else:
                    visit(child, f"{name}.")

    visit(tree, "")
    return "\n".join(chunks) if chunks else source


def _optimized_snippet(candidate: RewriteCandidate) -> str:
    """New imports followed by the rewritten functions, as the guide shows them."""
    before = {line.strip() for line in candidate.original_code.splitlines()}
    new_imports = [
        line
        for line in candidate.optimized_code.splitlines()
        if line.startswith(("import ", "from ")) and line.strip() not in before
    ]
    body = function_source(candidate.optimized_code, candidate.target_functions)
    return ("\n".join(new_imports) + "\n\n" + body) if new_imports else body


# --- learning ----------------------------------------------------------------------


def _record(
    request: OptimizeRequest,
    outcome: OptimizeOutcome,
    measured: list[tuple[RewriteCandidate, Any]],
    state: list[float],
    weights: dict[str, float],
    settings: Settings,
) -> int | None:
    """Store the request, one transition per measured attempt, and per-rule statistics."""
    from core.optimize.records import record_optimization, update_learned_pattern
    from ml.feedback import record_transition
    from ml.rewards import reward_for_attempt

    validated = [s for s in outcome.suggestions if s["validation_status"] == "validated"]
    speedups = [s["evidence"].get("speedup") for s in validated if s["evidence"].get("speedup")]
    record_id = record_optimization(
        source="file" if request.file_path else "inline",
        file_path=request.file_path,
        code_sha256=hashlib.sha256(request.code.encode()).hexdigest(),
        objective_weights=weights,
        llm_provider=outcome.llm_provider,
        suggestions=outcome.suggestions,
        validated_count=len(validated),
        best_speedup=max(speedups) if speedups else None,
        processing_time_seconds=outcome.processing_time_seconds,
        settings=settings,
    )
    for candidate, result in measured:
        evidence = result.to_dict()
        runtime = evidence.get("runtime_delta_pct")
        memory = evidence.get("memory_delta_pct")
        success = result.validation_status == "validated"
        update_learned_pattern(
            rule_id=candidate.rule_id,
            category=candidate.action_type,
            success=success,
            speedup=evidence.get("speedup") if success else None,
            memory_delta_pct=memory if success else None,
            settings=settings,
        )
        reward = reward_for_attempt(result.validation_status, runtime, memory, weights)
        next_state = _next_state(request.code, candidate, success, state)
        record_transition(
            state,
            candidate.action_type,
            reward,
            next_state,
            done=True,
            record_id=record_id,
            validation_status=result.validation_status,
            runtime_delta_pct=runtime,
            memory_delta_pct=memory,
            policy_version=outcome.policy.get("model_version"),
            settings=settings,
        )
    return record_id


def _next_state(source: str, candidate: RewriteCandidate, success: bool, state: list[float]) -> list[float]:
    """State of the code after the action: the rewritten module's when accepted."""
    if not success:
        return state
    from ml.state import build_state

    analysis = analyze_source(candidate.optimized_code, "<optimized>")
    return state if analysis.error else build_state(analysis)
