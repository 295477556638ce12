"""``velox optimize PATH``: propose, verify and measure rewrites of a module or a tree."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.cli import UsageError

SKIPPED_DIRS = {".git", ".venv", "venv", "__pycache__", "build", "dist", "site-packages", "node_modules"}
# Test code is what verifies a rewrite, not something to rewrite.
TEST_DIRS = {"test", "tests", "testing"}
WEIGHT_KEYS = ("runtime", "memory")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "optimize",
        help="rewrite slow code, verify it in a sandbox and measure the gain",
        description=(
            "Optimize a Python file, every module of a directory, or code on stdin ('-'). "
            "Each suggestion is verified against the original (the module's tests when "
            "test_<module>.py sits beside it, recorded and generated inputs otherwise) and "
            "its runtime and peak memory are measured. Exit status 1 when --apply could not "
            "write a file."
        ),
    )
    parser.add_argument("path", help="a .py file, a directory, or '-' for stdin")
    parser.add_argument("--function", default=None, metavar="NAME",
                        help="only rewrites of this function: 'name' (any function or method so "
                             "named) or 'Class.method'")
    parser.add_argument("--objective-weights", default=None, metavar="runtime=W,memory=W",
                        help="weights of runtime and memory, numbers >= 0 (a key left out weighs 0; "
                             "default OBJECTIVE_RUNTIME_WEIGHT, OBJECTIVE_MEMORY_WEIGHT)")
    parser.add_argument("--max-suggestions", type=int, default=None, metavar="N")
    parser.add_argument("--no-validation", action="store_true",
                        help="measure without behaviour checks (results are 'skipped', never 'validated')")
    parser.add_argument("--unit-test-command", default=None, metavar="CMD",
                        help="test command, '{path}' is replaced by the module's test file")
    parser.add_argument("--no-llm", action="store_true", help="use the deterministic rules only")
    parser.add_argument("--max-files", type=int, default=None, metavar="N")
    parser.add_argument("--format", choices=("table", "json", "diff"), default="table",
                        help="diff: a unified diff a suggestion, to apply with 'patch -p1' from "
                             "PATH (a directory) or PATH's folder (a file)")
    parser.add_argument("--apply", action="store_true",
                        help="write each module's best validated rewrite back to the file, "
                             "atomically (further ones merged in when they touch other functions "
                             "and the merged module verifies)")
    parser.set_defaults(handler=run)


@dataclass(slots=True)
class _Module:
    """One optimized module: where it is, what to call it, the response and the extras."""

    path: Path | None  # None for stdin
    name: str  # relative to the folder PATH names (a file's own folder); "<stdin>"
    response: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)


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


def parse_objective_weights(text: str) -> dict[str, float]:
    """``runtime=0.8,memory=0.2`` → ``{"runtime": 0.8, "memory": 0.2}``; UsageError says
    what is wrong. A key left out weighs 0."""
    weights: dict[str, float] = {}
    for item in text.split(","):
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep:
            raise UsageError(f"--objective-weights: {item.strip()!r} is not key=value "
                             "(e.g. runtime=0.8,memory=0.2)")
        if key not in WEIGHT_KEYS:
            raise UsageError(f"--objective-weights: unknown key {key!r} (use runtime, memory)")
        if key in weights:
            raise UsageError(f"--objective-weights: {key} is given twice")
        try:
            weight = float(value)
        except ValueError:
            raise UsageError(f"--objective-weights: {key}={value} is not a number") from None
        if not math.isfinite(weight) or weight < 0:
            raise UsageError(f"--objective-weights: {key}={value} must be a finite number >= 0")
        weights[key] = weight
    if not any(weights.values()):
        raise UsageError("--objective-weights: runtime and memory must not both be 0")
    return {key: weights.get(key, 0.0) for key in WEIGHT_KEYS}


def run(args: argparse.Namespace) -> int:
    from core.optimize.pipeline import OptimizeRequest, optimize_source
    from core.settings import get_settings

    settings = get_settings()
    if args.max_suggestions is not None and args.max_suggestions < 1:
        raise UsageError("--max-suggestions must be at least 1")
    if args.function is not None and not args.function.strip():
        raise UsageError("--function needs a function name")
    if args.apply and args.no_validation:
        raise UsageError("--apply writes validated rewrites only: drop --no-validation")
    if args.apply and args.path == "-":
        raise UsageError("--apply writes files back: give a file or a directory, not '-'")
    options: dict[str, Any] = {
        "objective_weights": None if args.objective_weights is None
        else parse_objective_weights(args.objective_weights),
        "max_suggestions": args.max_suggestions,
        "run_validation": not args.no_validation,
        "unit_test_command": args.unit_test_command,
        "use_llm": not args.no_llm,
        "function_name": args.function and args.function.strip(),
    }

    _ensure_database()
    base: Path | None = None  # the folder diffs and --apply name files from
    if args.path == "-":
        code = sys.stdin.read()
        try:
            outcome = optimize_source(OptimizeRequest(code=code, **options), settings=settings)
        except (ValueError, SyntaxError) as exc:
            raise UsageError(str(exc)) from None
        done = [_Module(None, "<stdin>", outcome.to_response(), outcome.extras)]
    else:
        root = Path(args.path)
        if not root.exists():
            raise UsageError(f"{args.path}: no such file or directory")
        if root.is_file() and root.suffix != ".py":
            raise UsageError(f"{args.path}: not a Python file (.py)")
        modules = _modules(root, args.max_files)
        if not modules:
            raise UsageError(f"{args.path}: no Python modules to optimize")
        base = root if root.is_dir() else root.parent
        done = _optimize_many(modules, root, base, options, settings,
                              show_progress=args.format == "table")

    written = _apply(done, settings) if args.apply else None
    # a list with each module's path for a directory; one module: exactly POST /optimize's body
    results = [{"file_path": str(m.path or m.name), **m.response} for m in done]
    if args.format == "json":
        print(json.dumps(results if root_is_dir(args.path) else done[0].response, indent=2))
    elif args.format == "diff":
        _print_diffs(done, base)
    else:
        _print_table(results)
    if written is not None:
        _print_applied(written, to_stderr=args.format != "table")
        return 1 if any(row["refused"] for row in written) else 0
    return 0


def root_is_dir(path: str) -> bool:
    return path != "-" and Path(path).is_dir()


def _ensure_database() -> None:
    """Embedded mode: bring the SQLite schema up to date before the first write."""
    from core.storage.migrate import ensure_database

    ensure_database()


def _optimize_many(modules: list[Path], root: Path, base: Path, options: dict[str, Any],
                   settings: Any, *, show_progress: bool) -> list[_Module]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from core.optimize.pipeline import UnknownFunctionError, optimize_file, package_root

    project = package_root(root)  # a package's modules import it: run from above it
    done: list[_Module] = []
    without_function = 0
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, disable=not show_progress,
                  transient=True) as bar:
        task = bar.add_task("optimizing", total=len(modules))
        for module in modules:
            bar.update(task, description=f"optimizing {module.name}")
            name = module.relative_to(base).as_posix()
            try:
                outcome = optimize_file(module, settings=settings, project_dir=project, **options)
                done.append(_Module(module, name, outcome.to_response(), outcome.extras))
            except UnknownFunctionError as exc:
                if root.is_file():
                    raise UsageError(str(exc)) from None
                without_function += 1  # --function: a module that does not define it
            except (ValueError, SyntaxError, UnicodeDecodeError) as exc:
                done.append(_Module(module, name, {"error": str(exc), "suggestions": []}))
            bar.advance(task)
    if without_function:
        defining = len(modules) - without_function - sum(1 for m in done if m.response.get("error"))
        if defining <= 0:
            raise UsageError(f"--function {options['function_name']}: no module under {root} defines it")
        console.print(f"--function {options['function_name']}: defined in {defining} of "
                      f"{len(modules)} modules, only those were optimized")
    return done


def _print_diffs(done: list[_Module], base: Path | None) -> None:
    """Each suggestion's unified diff against the file as it is, headed ``a/NAME``,
    ``b/NAME``; a summary on stderr."""
    from core.optimize.pipeline import unified_diff

    count = 0
    several: list[str] = []
    with_suggestions = [m for m in done if m.response.get("suggestions")]
    for module in with_suggestions:
        suggestions = module.response["suggestions"]
        if len(suggestions) > 1:
            several.append(module.name)
        original = module.extras["source"]
        crlf = module.path is not None and b"\r\n" in module.path.read_bytes()
        for s in suggestions:
            ev = s["evidence"]
            before, after = original, module.extras["rewrites"][s["suggestion_id"]]
            if crlf:  # the file's line endings, or patch finds no match
                before, after = before.replace("\n", "\r\n"), after.replace("\n", "\r\n")
            sys.stdout.write(
                f"# {module.name}: {ev.get('rule_id')} on {', '.join(ev.get('functions') or [])}, "
                f"{s['validation_status']}, speedup {_fmt(ev.get('speedup'), 'x')}\n"
                + unified_diff(before, after, f"a/{module.name}", f"b/{module.name}"))
            count += 1
    summary = f"velox: {count} diff(s) for {len(with_suggestions)} of {len(done)} module(s)"
    if count and base is not None:
        summary += f"; apply with: patch -p1 -d {base} < FILE"
    if several:
        summary += (f"; several for {', '.join(several)}: each is against the original file, "
                    "apply one (or use --apply)")
    print(summary, file=sys.stderr)


def _apply(done: list[_Module], settings: Any) -> list[dict[str, Any]]:
    """Write each module's best validated rewrite back (merged with further ones when they
    touch other functions and the merged module verifies again). One row per module with
    suggestions, saying what was written or why nothing was."""
    from core.optimize.apply import ApplyPlan, FileChangedError, Rewrite, plan_rewrites, write_back
    from core.verify import verify_and_measure

    rows: list[dict[str, Any]] = []
    for module in done:
        suggestions = module.response.get("suggestions") or []
        if module.path is None or not suggestions:
            continue
        row: dict[str, Any] = {"file": module.name, "functions": [], "rules": [], "speedup": None,
                               "written": False, "refused": False, "note": "", "not_applied": []}
        rows.append(row)
        rewrites = [Rewrite(s, module.extras["rewrites"][s["suggestion_id"]],
                            list(s["evidence"].get("functions") or []))
                    for s in suggestions if s["validation_status"] == "validated"]
        row["not_applied"] = [(_label(s), f"not validated ({s['validation_status']})")
                              for s in suggestions if s["validation_status"] != "validated"]
        if not rewrites:
            row["note"] = "nothing validated: file left as it was"
            continue
        original = module.extras["source"]
        plan = plan_rewrites(original, rewrites)
        speedup = rewrites[0].suggestion["evidence"].get("speedup")
        if plan.merged:
            check = verify_and_measure(original, plan.code, plan.functions, settings=settings,
                                       **module.extras["verify"])
            if check.validation_status == "validated":
                speedup = check.speedup
                row["note"] = f"{len(plan.applied)} rewrites merged, verified again"
            else:
                why = f"merged module {check.validation_status}: {check.reason}"
                plan = ApplyPlan(rewrites[0].code, [rewrites[0]],
                                 plan.not_applied + [(rw, why) for rw in plan.applied[1:]])
        row["not_applied"] += [(_label(rw.suggestion), why) for rw, why in plan.not_applied]
        row.update(functions=plan.functions, speedup=speedup,
                   rules=[str(rw.suggestion["evidence"].get("rule_id")) for rw in plan.applied])
        try:
            write_back(module.path, plan.code, expected=original)
            row["written"] = True
        except (FileChangedError, OSError) as exc:
            row["refused"] = True
            row["note"] = str(exc) if isinstance(exc, FileChangedError) else f"cannot write: {exc}"
    return rows


def _label(suggestion: dict[str, Any]) -> str:
    ev = suggestion["evidence"]
    return f"{ev.get('rule_id')} on {', '.join(ev.get('functions') or []) or '-'}"


def _print_applied(rows: list[dict[str, Any]], *, to_stderr: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=to_stderr)
    if not console.is_terminal:
        console = Console(stderr=to_stderr, width=160)
    table = Table(title="Velox: written back")
    for column in ("file", "functions", "rules", "speedup", "written", "note"):
        table.add_column(column, justify="right" if column == "speedup" else "left")
    for row in rows:
        table.add_row(row["file"], ", ".join(row["functions"]) or "-", ", ".join(row["rules"]) or "-",
                      _fmt(row["speedup"], "×"), "yes" if row["written"] else "no", row["note"] or "-")
    console.print(table)
    for row in rows:
        if row["refused"]:
            console.print(f"not written: {row['file']}: {row['note']}", highlight=False)
        for label, why in row["not_applied"]:
            console.print(f"not applied: {row['file']}: {label}: {why}", highlight=False)
    console.print(f"{sum(r['written'] for r in rows)} file(s) written", highlight=False)


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
    for result in results:
        for note in result.get("notes") or []:
            console.print(f"note: {result['file_path']}: {note}", markup=False, highlight=False)
