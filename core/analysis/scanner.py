"""Scan a file, a directory tree or source text; the result is the ``POST /scan`` body.

Body::

    {
      "scan_results": [ {file_path, complexity_score, maintainability_score, bottlenecks,
                         opportunities, lines_of_code, functions, classes, findings[, error]} ],
      "summary": {total_files, avg_complexity, high_complexity_files,
                  high_complexity_threshold, ...},
      "hotspots": [ {file_path, complexity_score, loc, bottlenecks, optimization_potential,
                     potential_score} ]
    }

``bottlenecks`` and ``opportunities`` are strings (the findings' titles with where they
are, and their fixes); ``findings`` are the structured findings. With
``include_metrics=False`` the metric fields (scores, line, function and class counts) are
left out of each file entry and the costly metrics are not computed.

Hotspots rank files by optimization potential. A file's ``potential_score`` is
``5 * high + 2 * medium + 1 * low`` over its findings' severities;
``optimization_potential`` is ``high`` when that score is at least 5 (any high-severity
finding, or several medium ones), ``medium`` when it is at least 2 or the file's
complexity score reaches the high-complexity threshold, ``low`` otherwise. Files with no
finding and a complexity under the threshold are not hotspots. Ranking: code before test
code (``is_test_file``: test code is rarely what a user wants optimized, so a short list
leaves it out; its findings stay in ``scan_results``), then potential level, then score,
then complexity score.

Directories are walked recursively, matching ``file_pattern`` (a glob on the file name,
or on the path relative to the scanned directory when it contains ``/``), skipping
version-control folders, virtual environments (``.venv`` and any folder holding
``pyvenv.cfg``; a folder merely named ``venv`` may be code, like the stdlib's package),
``site-packages``, build outputs and caches. Large scans run on a process pool over the
machine's cores, in chunks, when the calling process may fork safely (see ``use_pool``);
small ones, and scans from threaded or daemon processes, run in process.
"""

from __future__ import annotations

import fnmatch
import multiprocessing
import os
import re
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from core.analysis.analyzer import analyze_file, analyze_source
from core.analysis.model import FileAnalysis
from core.progress import Progress, no_progress

HIGH_COMPLEXITY_THRESHOLD = 50.0
DEFAULT_HOTSPOT_LIMIT = 20
#: Fewer files than this are analysed in process: starting workers would cost more.
PARALLEL_MIN_FILES = 24
SEVERITY_POINTS = {"high": 5, "medium": 2, "low": 1}
_LEVELS = {"high": 3, "medium": 2, "low": 1}

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", "__pycache__", "node_modules", "site-packages",
        "dist-packages", ".venv", ".tox", ".nox", "build", "dist", ".eggs",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".idea", ".vscode",
        "__pypackages__",
    }
)  # fmt: skip


class ScanError(ValueError):
    """Bad scan input (missing path, bad pattern, bad limits): one line saying what to fix."""


# -- discovery -------------------------------------------------------------------------------


def _skip_dir(name: str, path: str) -> bool:
    if name in SKIP_DIRS or name.endswith(".egg-info"):
        return True
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def discover(root: str | os.PathLike[str], file_pattern: str = "*.py") -> list[str]:
    """Files under ``root`` matching ``file_pattern``, as paths relative to ``root``, sorted."""
    if not file_pattern or "\x00" in file_pattern:
        raise ScanError("file_pattern must be a non-empty glob such as '*.py'")
    on_path = "/" in file_pattern
    found: list[str] = []
    base = os.fspath(root)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(
            d for d in dirnames if not _skip_dir(d, os.path.join(dirpath, d))
        )
        rel_dir = os.path.relpath(dirpath, base)
        for name in filenames:
            rel = name if rel_dir == "." else os.path.join(rel_dir, name)
            subject = rel.replace(os.sep, "/") if on_path else name
            if fnmatch.fnmatch(subject, file_pattern) and os.path.isfile(os.path.join(dirpath, name)):
                found.append(rel)
    found.sort()
    return found


# -- analysis ------------------------------------------------------------------------------------


def _analyze_one(job: tuple[str, str, bool]) -> FileAnalysis:
    path, shown, metrics = job
    try:
        return analyze_file(path, display_path=shown, metrics=metrics)
    except Exception as exc:  # analyze_file reports bad input itself; this is a bug guard
        return FileAnalysis(shown, error=f"internal analyzer error: {type(exc).__name__}: {exc}")


def _default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def use_pool(total: int, workers: int) -> bool:
    """Whether ``analyze_many`` runs a process pool: enough files and workers, and a
    process that may fork safely: single-threaded (a threaded parent such as the Flask
    app or the embedded job executor could fork with a lock held) and not a daemon (a
    Celery prefork child may not have children). forkserver/spawn are not used: their
    workers re-import the caller's main module. Otherwise the scan runs in process."""
    return (
        workers > 1
        and total >= PARALLEL_MIN_FILES
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and not multiprocessing.current_process().daemon
    )


def analyze_many(
    jobs: list[tuple[str, str, bool]], *, workers: int | None = None, progress: Progress = no_progress
) -> list[FileAnalysis]:
    """Analyse ``(path, display_path, metrics)`` jobs, in parallel when it pays off.
    Results keep the order of ``jobs``."""
    total = len(jobs)
    workers = _default_workers() if workers is None else max(1, int(workers))
    parallel = use_pool(total, workers)
    results: list[FileAnalysis] = []
    step = max(1, total // 100)

    def report() -> None:
        done = len(results)
        if done == total or done % step == 0:
            progress(phase="analyzing", progress=done / total if total else 1.0)

    if parallel:
        chunksize = max(1, min(32, total // (workers * 8)))
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                for analysis in pool.map(_analyze_one, jobs, chunksize=chunksize):
                    results.append(analysis)
                    report()
        except BrokenProcessPool:
            pass  # a worker died (killed, out of memory): finish the rest in process
    for job in jobs[len(results) :]:
        results.append(_analyze_one(job))
        report()
    return results


# -- the body ------------------------------------------------------------------------------------


def scan_path(
    path: str | os.PathLike[str],
    *,
    file_pattern: str = "*.py",
    include_metrics: bool = True,
    min_complexity: float | None = None,
    max_files: int | None = None,
    workers: int | None = None,
    progress: Progress = no_progress,
    hotspot_limit: int = DEFAULT_HOTSPOT_LIMIT,
) -> dict[str, Any]:
    """Scan a file or a directory tree and return the ``POST /scan`` body.

    ``file_path`` values are the given ``path`` joined with each file's path below it.
    ``max_files`` analyses only the first N matching files (sorted by path);
    ``min_complexity`` reports only files whose complexity score reaches it.
    Raises ScanError for a path that does not exist or bad limits."""
    _check_limits(min_complexity, max_files)
    shown_root = os.fspath(path)
    if not shown_root:
        raise ScanError("path must not be empty")
    root = None
    if os.path.isfile(shown_root):
        relative = [""]
        files_found = 1
    elif os.path.isdir(shown_root):
        root = shown_root
        progress(phase="discovering", progress=0.0)
        relative = discover(shown_root, file_pattern)
        files_found = len(relative)
    else:
        raise ScanError(f"no such file or directory: {shown_root}")
    if max_files is not None:
        relative = relative[:max_files]
    jobs = [
        (
            os.path.join(shown_root, rel) if rel else shown_root,
            os.path.join(shown_root, rel) if rel else shown_root,
            include_metrics,
        )
        for rel in relative
    ]
    progress(phase="analyzing", progress=0.0)
    analyses = analyze_many(jobs, workers=workers, progress=progress)
    progress(phase="summarizing", progress=1.0)
    return build_body(
        analyses,
        include_metrics=include_metrics,
        min_complexity=min_complexity,
        files_found=files_found,
        hotspot_limit=hotspot_limit,
        root=root,
    )


def scan_source(
    source: str,
    path: str = "<stdin>",
    *,
    include_metrics: bool = True,
    min_complexity: float | None = None,
) -> dict[str, Any]:
    """Scan source text (e.g. from stdin) as one file named ``path``."""
    _check_limits(min_complexity, None)
    analysis = analyze_source(source, path, metrics=include_metrics)
    return build_body(
        [analysis], include_metrics=include_metrics, min_complexity=min_complexity, files_found=1
    )


def _check_limits(min_complexity: float | None, max_files: int | None) -> None:
    if min_complexity is not None:
        if isinstance(min_complexity, bool) or not isinstance(min_complexity, int | float):
            raise ScanError("min_complexity must be a number between 0 and 100")
        if not 0 <= min_complexity <= 100:
            raise ScanError("min_complexity must be between 0 and 100")
    if max_files is not None and (
        isinstance(max_files, bool) or not isinstance(max_files, int) or max_files < 1
    ):
        raise ScanError("max_files must be a positive integer")


def build_body(
    analyses: Iterable[FileAnalysis],
    *,
    include_metrics: bool = True,
    min_complexity: float | None = None,
    files_found: int | None = None,
    hotspot_limit: int = DEFAULT_HOTSPOT_LIMIT,
    root: str | None = None,
) -> dict[str, Any]:
    """The scan body from analyses (see the module docstring); ``root``: the scanned
    directory, whose own path does not make its files test code."""
    analyses = list(analyses)
    analysed_ok = [a for a in analyses if not a.error]
    reported = [
        a
        for a in analyses
        if min_complexity is None or (not a.error and a.complexity_score >= min_complexity)
    ]
    severities = {"high": 0, "medium": 0, "low": 0}
    for a in analyses:
        for f in a.findings:
            severities[f.severity] += 1
    avg = (
        round(sum(a.complexity_score for a in analysed_ok) / len(analysed_ok), 1)
        if analysed_ok
        else 0.0
    )
    found = len(analyses) if files_found is None else files_found
    summary = {
        "total_files": len(analyses),
        "avg_complexity": avg,
        "high_complexity_files": sum(
            1 for a in analysed_ok if a.complexity_score >= HIGH_COMPLEXITY_THRESHOLD
        ),
        "high_complexity_threshold": HIGH_COMPLEXITY_THRESHOLD,
        "files_found": found,
        "truncated": found > len(analyses),
        "files_reported": len(reported),
        "files_with_errors": len(analyses) - len(analysed_ok),
        "total_findings": sum(severities.values()),
        "findings_by_severity": severities,
        "min_complexity": min_complexity,
        "include_metrics": include_metrics,
    }
    return {
        "scan_results": [file_entry(a, include_metrics=include_metrics) for a in reported],
        "summary": summary,
        "hotspots": hotspots(reported, limit=hotspot_limit, root=root),
    }


def file_entry(analysis: FileAnalysis, *, include_metrics: bool = True) -> dict[str, Any]:
    """One ``scan_results`` item: the guide's fields, then ``findings`` (and ``error``)."""
    a = analysis
    entry: dict[str, Any] = {"file_path": a.file_path}
    if include_metrics:
        entry["complexity_score"] = a.complexity_score
        entry["maintainability_score"] = a.maintainability_score
    entry["bottlenecks"] = list(_bottlenecks(a))
    entry["opportunities"] = list(_opportunities(a))
    if include_metrics:
        entry["lines_of_code"] = a.lines_of_code
        entry["functions"] = a.functions
        entry["classes"] = a.classes
    entry["findings"] = [f.to_dict() for f in a.findings]
    if a.error:
        entry["error"] = a.error
    return entry


def _bottlenecks(a: FileAnalysis) -> Iterator[str]:
    for f in a.findings:
        where = f" in {f.function}()" if f.function else ""
        yield f"{f.title}{where} at line {f.line}"


def _opportunities(a: FileAnalysis) -> Iterator[str]:
    seen: set[str] = set()
    for f in a.findings:
        text = f.fix[:1].upper() + f.fix[1:]
        if text not in seen:
            seen.add(text)
            yield text


_TEST_DIRS = frozenset({"test", "tests"})


def is_test_file(path: str, *, root: str | None = None) -> bool:
    """``path`` is test code: ``test_*.py``, ``*_test.py``, ``conftest.py``, Django's
    ``tests.py``, or a file under a ``test/`` or ``tests/`` folder. With ``root`` (the
    scanned directory), only the folders below it count."""
    if root and path.startswith(root):
        path = path[len(root) :]
    parts = [part for part in re.split(r"[\\/]", path) if part]
    if not parts:
        return False
    *folders, name = parts
    stem = name[:-3] if name.endswith(".py") else name
    if stem in ("conftest", "tests") or stem.startswith("test_") or stem.endswith("_test"):
        return True
    return any(folder in _TEST_DIRS for folder in folders)


def optimization_potential(analysis: FileAnalysis) -> tuple[str | None, int]:
    """``(level, potential_score)``; level None when the file is not a hotspot."""
    points = sum(SEVERITY_POINTS.get(f.severity, 0) for f in analysis.findings)
    complex_file = analysis.complexity_score >= HIGH_COMPLEXITY_THRESHOLD
    if points >= 5:
        return "high", points
    if points >= 2 or complex_file:
        return "medium", points
    if points >= 1:
        return "low", points
    return None, points


def hotspots(
    analyses: Iterable[FileAnalysis], *, limit: int = DEFAULT_HOTSPOT_LIMIT, root: str | None = None
) -> list[dict[str, Any]]:
    """Files ranked by optimization potential, test code last (see the module docstring);
    ``root`` is the scanned directory, for ``is_test_file``."""
    ranked = []
    for a in analyses:
        if a.error:
            continue
        level, points = optimization_potential(a)
        if level is None:
            continue
        test = is_test_file(a.file_path, root=root)
        ranked.append(((test, -_LEVELS[level], -points, -a.complexity_score, a.file_path), level, points, a))
    ranked.sort(key=lambda r: r[0])
    return [
        {
            "file_path": a.file_path,
            "complexity_score": a.complexity_score,
            "loc": a.lines_of_code,
            "bottlenecks": len(a.findings),
            "optimization_potential": level,
            "potential_score": points,
        }
        for _key, level, points, a in ranked[: max(0, limit)]
    ]
