"""Scan and optimize a Git repository: clone at a ref, pick the most complex Python files,
analyse (and optimize) them, delete the clone.

File selection (both operations): every Python file of the checkout is analysed (up to
``MAX_ANALYSED_FILES``, in path order; version-control, virtual-environment and build
folders and symlinks are skipped); files whose complexity score reaches ``min_complexity``
are ranked by complexity, highest first, and the first ``max_files`` are kept.

The clone is always deleted before the function returns, so ``clone_path`` in the
optimize response is ``null`` and ``clone_removed`` is ``true``: suggestions carry their
code and diffs, nothing needs the checkout afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.analysis.model import FileAnalysis
from core.analysis.scanner import HIGH_COMPLEXITY_THRESHOLD, analyze_many, discover, file_entry
from core.analysis.scanner import hotspots as rank_hotspots
from core.progress import Progress, no_progress
from core.repository.clone import ClonedRepository, clone_repository
from core.repository.imports import ImportGraph, build_import_graph
from core.settings import Settings, get_settings

DEFAULT_REF = "main"
DEFAULT_MAX_FILES = 50
DEFAULT_MIN_COMPLEXITY = 50.0
DEFAULT_MAX_SUGGESTIONS_PER_FILE = 5
MAX_ANALYSED_FILES = 5000


def _scaled(outer: Progress, start: float, end: float) -> Progress:
    """Map a step's 0-1 progress onto ``[start, end]`` of the whole job."""
    def report(*, phase: str | None = None, progress: float | None = None,
               status: str | None = None) -> None:
        value = None if progress is None else start + (end - start) * progress
        outer(phase=phase, progress=value, status=status)

    return report


def count_files(root: Path) -> int:
    """Files in the checkout, ``.git`` left out."""
    total = 0
    for _dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        total += len(filenames)
    return total


def python_files(root: Path) -> list[str]:
    """Python files below ``root`` (relative paths), symlinks and anything resolving outside
    the checkout left out."""
    resolved_root = root.resolve()
    kept = []
    for rel in discover(root, "*.py"):
        path = root / rel  # discover() never descends into symlinked folders
        if not path.is_symlink() and path.resolve().is_relative_to(resolved_root):
            kept.append(rel.replace(os.sep, "/"))
    return kept


def select_files(
    root: Path, files: list[str], *, max_files: int, min_complexity: float,
    progress: Progress = no_progress,
) -> tuple[list[FileAnalysis], list[FileAnalysis]]:
    """``(all analyses, selected analyses)`` — see the module docstring."""
    jobs = [(str(root / rel), rel, True) for rel in files[:MAX_ANALYSED_FILES]]
    analyses = analyze_many(jobs, progress=progress)
    eligible = [a for a in analyses if not a.error and a.complexity_score >= min_complexity]
    eligible.sort(key=lambda a: (-a.complexity_score, a.file_path))
    return analyses, eligible[:max_files]


def _check_limits(max_files: int, min_complexity: float) -> None:
    if isinstance(max_files, bool) or not isinstance(max_files, int) or max_files < 1:
        raise ValueError("max_files must be a positive integer")
    if (isinstance(min_complexity, bool) or not isinstance(min_complexity, int | float)
            or not 0 <= min_complexity <= 100):
        raise ValueError("min_complexity must be a number between 0 and 100")


def _scan_summary(total: int, files: list[str], analyses: list[FileAnalysis],
                  selected: list[FileAnalysis], max_files: int, min_complexity: float
                  ) -> dict[str, Any]:
    ok = [a for a in analyses if not a.error]
    return {
        "total_files": total,
        "python_files": len(files),
        "scanned_files": len(selected),
        "avg_complexity": round(sum(a.complexity_score for a in ok) / len(ok), 1) if ok else 0.0,
        "high_complexity_files": sum(1 for a in ok
                                     if a.complexity_score >= HIGH_COMPLEXITY_THRESHOLD),
        "high_complexity_threshold": HIGH_COMPLEXITY_THRESHOLD,
        "analysed_files": len(analyses),
        "files_with_errors": len(analyses) - len(ok),
        "max_files": max_files,
        "min_complexity": min_complexity,
    }


def _clone(url: str, ref: str, allowed_hosts: Iterable[str], progress: Progress
           ) -> ClonedRepository:
    progress(phase="cloning", progress=0.0)
    return clone_repository(url, ref, allowed_hosts=allowed_hosts)


def scan_repository(
    repository_url: str,
    ref: str = DEFAULT_REF,
    *,
    max_files: int = DEFAULT_MAX_FILES,
    min_complexity: float = DEFAULT_MIN_COMPLEXITY,
    allowed_hosts: Iterable[str] = (),
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """The ``POST /scan/repository`` body: ``repository``, ``ref``, ``commit``,
    ``scan_summary``, ``hotspots`` and the selected files' ``scan_results``."""
    _check_limits(max_files, min_complexity)
    with _clone(repository_url, ref, allowed_hosts, progress) as repo:
        files = python_files(repo.path)
        analyses, selected = select_files(
            repo.path, files, max_files=max_files, min_complexity=min_complexity,
            progress=_scaled(progress, 0.2, 0.95))
        body = {
            "repository": repo.url.display,
            "ref": ref,
            "ref_kind": repo.ref_kind,
            "commit": repo.commit,
            "scan_summary": _scan_summary(count_files(repo.path), files, analyses, selected,
                                          max_files, min_complexity),
            "hotspots": rank_hotspots(selected, limit=max_files),
            "scan_results": [file_entry(a) for a in selected],
        }
    progress(phase="done", progress=1.0)
    return body


def optimize_repository(
    repository_url: str,
    ref: str = DEFAULT_REF,
    *,
    max_files: int = DEFAULT_MAX_FILES,
    min_complexity: float = DEFAULT_MIN_COMPLEXITY,
    objective_weights: dict[str, float] | None = None,
    max_suggestions_per_file: int = DEFAULT_MAX_SUGGESTIONS_PER_FILE,
    enable_cross_file_context: bool = False,
    enable_batch_coordination: bool = False,
    run_validation: bool = False,
    use_llm: bool = True,
    allowed_hosts: Iterable[str] = (),
    settings: Settings | None = None,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """The ``POST /optimize/repository`` body (see ``docs`` in the module and README).

    Each selected file goes through the optimization pipeline with the checkout as its
    project directory. ``enable_cross_file_context`` hands the pipeline (and the LLM
    prompt) the callers and callees of the file in other repository modules and notes how
    many modules import it. ``enable_batch_coordination`` orders the files by import group
    (files that import each other, directly or through other selected files) and gives
    each file of a group the other members' code as ``related`` context; suggestions are
    still made, verified and measured one file at a time (``batch_groups`` lists the groups).
    """
    from core.optimize.pipeline import normalise_weights, optimize_file

    settings = settings or get_settings()
    _check_limits(max_files, min_complexity)
    if (isinstance(max_suggestions_per_file, bool) or not isinstance(max_suggestions_per_file, int)
            or max_suggestions_per_file < 1):
        raise ValueError("max_suggestions_per_file must be a positive integer")
    weights = normalise_weights(objective_weights, settings)
    with _clone(repository_url, ref, allowed_hosts, progress) as repo:
        files = python_files(repo.path)
        _all, selected = select_files(repo.path, files, max_files=max_files,
                                      min_complexity=min_complexity,
                                      progress=_scaled(progress, 0.05, 0.2))
        chosen = [a.file_path for a in selected]
        graph: ImportGraph | None = None
        if enable_cross_file_context or enable_batch_coordination:
            graph = build_import_graph(repo.path, files)
        groups = graph.groups(chosen) if (graph and enable_batch_coordination) else [
            [f] for f in chosen]
        results: list[dict[str, Any]] = []
        done = 0
        for group_index, group in enumerate(groups):
            for rel in group:
                progress(phase=f"optimizing {rel}", progress=0.2 + 0.75 * done / max(len(chosen), 1))
                entry: dict[str, Any] = {"file_path": rel}
                snippets = []
                if graph is not None and enable_cross_file_context:
                    snippets += graph.context_snippets(rel)
                    importers = sorted(graph.imported_by.get(rel, ()))
                    entry["imported_by"] = importers
                    entry["imports"] = sorted(graph.imports.get(rel, ()))
                    if importers:
                        entry["notes"] = [f"imported by {len(importers)} other module"
                                          f"{'s' if len(importers) != 1 else ''} — an "
                                          "optimization here cascades to them"]
                if graph is not None and enable_batch_coordination:
                    entry["batch_group"] = group_index
                    snippets += graph.related_snippets(rel, group)
                entry["context_snippets"] = [
                    {"relation": s.relation, "path": s.path, "name": s.name} for s in snippets]
                try:
                    outcome = optimize_file(
                        repo.path / rel, settings=settings, project_dir=str(repo.path),
                        objective_weights=weights, max_suggestions=max_suggestions_per_file,
                        run_validation=run_validation, use_llm=use_llm,
                        cross_file_context=snippets)
                except Exception as exc:  # one file's failure must not end the run
                    entry.update(status="failed", suggestions=[],
                                 error=f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500])
                else:
                    body = outcome.to_response()
                    entry.update(status="success", suggestions=body["suggestions"], error=None,
                                 attempts=len(body["attempts"]),
                                 llm_provider=body["llm_provider"],
                                 complexity_score=body["analysis"]["complexity_score"])
                results.append(entry)
                done += 1
        response = {
            "repository": repo.url.display,
            "ref": ref,
            "ref_kind": repo.ref_kind,
            "commit": repo.commit,
            "clone_path": None,
            "clone_removed": True,
            "optimization_results": results,
            "summary": _optimize_summary(results, run_validation),
            "cross_file_context": enable_cross_file_context,
            "batch_coordination": enable_batch_coordination,
        }
        if enable_batch_coordination:
            response["batch_groups"] = groups
    progress(phase="done", progress=1.0)
    return response


def _optimize_summary(results: list[dict[str, Any]], run_validation: bool) -> dict[str, Any]:
    suggestions = [s for r in results for s in r["suggestions"]]
    deltas = [s["expected_runtime_delta_pct"] for s in suggestions
              if isinstance(s.get("expected_runtime_delta_pct"), int | float)]
    summary: dict[str, Any] = {
        "total_files_processed": len(results),
        "successful_optimizations": sum(1 for r in results if r["status"] == "success"),
        "failed_optimizations": sum(1 for r in results if r["status"] == "failed"),
        "total_suggestions": len(suggestions),
        "avg_expected_improvement_pct": round(sum(deltas) / len(deltas), 2) if deltas else None,
        "validated_suggestions": sum(1 for s in suggestions
                                     if s.get("validation_status") == "validated"),
        "run_validation": run_validation,
    }
    if not run_validation:
        summary["note"] = ("run_validation=false: behaviour was not compared against the "
                           "original; suggestions are 'skipped' and carry measured runtime "
                           "and memory figures only")
    return summary
