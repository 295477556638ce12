"""``velox optimize PATH``: propose, verify and measure rewrites of a module or a tree."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from api.cli import UsageError

SKIPPED_DIRS = {".git", ".venv", "venv", "__pycache__", "build", "dist", "site-packages", "node_modules"}
# Test code is what verifies a rewrite, not something to rewrite.
TEST_DIRS = {"test", "tests", "testing"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "optimize",
        help="rewrite slow code, verify it in a sandbox and measure the gain",
        description=(
            "Optimize a Python file, every module of a directory, or code on stdin ('-'). "
            "Each suggestion is verified against the original (the module's tests when "
            "test_<module>.py sits beside it, recorded and generated inputs otherwise) and "
            "its runtime and peak memory are measured."
        ),
    )
    parser.add_argument("path", help="a .py file, a directory, or '-' for stdin")
    parser.add_argument("--max-suggestions", type=int, default=None, metavar="N")
    parser.add_argument("--runtime-weight", type=float, default=None, metavar="W",
                        help="objective weight of runtime (default OBJECTIVE_RUNTIME_WEIGHT)")
    parser.add_argument("--memory-weight", type=float, default=None, metavar="W",
                        help="objective weight of memory (default OBJECTIVE_MEMORY_WEIGHT)")
    parser.add_argument("--no-validation", action="store_true",
                        help="measure without behaviour checks (results are 'skipped', never 'validated')")
    parser.add_argument("--unit-test-command", default=None, metavar="CMD",
                        help="test command, '{path}' is replaced by the module's test file")
    parser.add_argument("--no-llm", action="store_true", help="use the deterministic rules only")
    parser.add_argument("--max-files", type=int, default=None, metavar="N")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(handler=run)


def _modules(root: Path, max_files: int | None) -> list[Path]:
    if root.is_file():
        return [root]
    files = sorted(
        p for p in root.rglob("*.py")
        if not SKIPPED_DIRS.intersection(p.relative_to(root).parts)
        and not TEST_DIRS.intersection(p.relative_to(root).parts[:-1])
        and not p.name.startswith("test_") and p.name != "conftest.py" and not p.name.endswith("_test.py")
    )
    return files[:max_files] if max_files else files


def run(args: argparse.Namespace) -> int:
    from core.optimize.pipeline import OptimizeRequest, optimize_source
    from core.settings import get_settings

    settings = get_settings()
    weights = None
    if args.runtime_weight is not None or args.memory_weight is not None:
        weights = {
            "runtime": args.runtime_weight if args.runtime_weight is not None else settings.OBJECTIVE_RUNTIME_WEIGHT,
            "memory": args.memory_weight if args.memory_weight is not None else settings.OBJECTIVE_MEMORY_WEIGHT,
        }
    if args.max_suggestions is not None and args.max_suggestions < 1:
        raise UsageError("--max-suggestions must be at least 1")
    options: dict[str, Any] = {
        "objective_weights": weights,
        "max_suggestions": args.max_suggestions,
        "run_validation": not args.no_validation,
        "unit_test_command": args.unit_test_command,
        "use_llm": not args.no_llm,
    }

    _ensure_database()
    results: list[dict[str, Any]] = []
    if args.path == "-":
        code = sys.stdin.read()
        try:
            outcome = optimize_source(OptimizeRequest(code=code, **options), settings=settings)
        except (ValueError, SyntaxError) as exc:
            raise UsageError(str(exc)) from None
        results.append({"file_path": "<stdin>", **outcome.to_response()})
    else:
        root = Path(args.path)
        if not root.exists():
            raise UsageError(f"{args.path}: no such file or directory")
        if root.is_file() and root.suffix != ".py":
            raise UsageError(f"{args.path}: not a Python file (.py)")
        modules = _modules(root, args.max_files)
        if not modules:
            raise UsageError(f"{args.path}: no Python modules to optimize")
        results = _optimize_many(modules, root, options, settings, show_progress=args.format == "table")

    if args.format == "json":
        print(json.dumps(results if len(results) != 1 or root_is_dir(args.path) else results[0], indent=2))
    else:
        _print_table(results)
    return 0


def root_is_dir(path: str) -> bool:
    return path != "-" and Path(path).is_dir()


def _ensure_database() -> None:
    """Embedded mode: bring the SQLite schema up to date before the first write."""
    from core.storage.migrate import ensure_database

    ensure_database()


def _optimize_many(modules: list[Path], root: Path, options: dict[str, Any], settings: Any,
                   *, show_progress: bool) -> list[dict[str, Any]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from core.optimize.pipeline import optimize_file, package_root

    project = package_root(root)  # a package's modules import it: run from above it
    results: list[dict[str, Any]] = []
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, disable=not show_progress,
                  transient=True) as bar:
        task = bar.add_task("optimizing", total=len(modules))
        for module in modules:
            bar.update(task, description=f"optimizing {module.name}")
            try:
                outcome = optimize_file(module, settings=settings, project_dir=project, **options)
                results.append({"file_path": str(module), **outcome.to_response()})
            except (ValueError, SyntaxError, UnicodeDecodeError) as exc:
                results.append({"file_path": str(module), "error": str(exc), "suggestions": []})
            bar.advance(task)
    return results


def _fmt(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:,.1f}{suffix}"


def _print_table(results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Velox: measured optimizations", show_lines=False)
    for column in ("file", "function", "category", "status", "speedup", "runtime Δ%", "memory Δ%", "evidence", "rule"):
        table.add_column(column, justify="right" if column in {"speedup", "runtime Δ%", "memory Δ%"} else "left")
    validated = 0
    speedups: list[float] = []
    for result in results:
        name = Path(result["file_path"]).name
        if result.get("error"):
            table.add_row(name, "-", "-", "error", "-", "-", "-", result["error"][:60], "-")
            continue
        if not result["suggestions"]:
            counts = Counter(a["validation_status"] for a in result.get("attempts", []))
            why = ", ".join(f"{n} {status}" for status, n in counts.most_common()) or "no candidate"
            table.add_row(name, "-", "-", "none", "-", "-", "-", why, "-")
        for s in result["suggestions"]:
            ev = s["evidence"]
            if s["validation_status"] == "validated":
                validated += 1
                if ev.get("speedup"):
                    speedups.append(ev["speedup"])
            functions = ", ".join(ev.get("functions") or []) or "-"
            detail = f"{ev.get('calls_compared', 0)} calls, {len(ev.get('tests_run') or [])} tests"
            table.add_row(name, functions, s["category"], s["validation_status"],
                          _fmt(ev.get("speedup"), "×"), _fmt(s["expected_runtime_delta_pct"]),
                          _fmt(s["expected_memory_delta_pct"]), detail, str(ev.get("rule_id")))
    console = Console()
    if not console.is_terminal:  # piped or logged: don't squeeze the table into 80 columns
        console = Console(width=160)
    console.print(table)
    if speedups:
        import math

        geo = math.exp(sum(math.log(x) for x in speedups) / len(speedups))
        console.print(f"{validated} validated suggestions, geometric-mean speedup {geo:.2f}×")
    else:
        console.print(f"{validated} validated suggestions")
