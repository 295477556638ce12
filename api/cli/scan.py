"""``velox scan PATH``: metrics and performance findings for a file, a directory or stdin.

``--format json`` prints exactly the body ``POST /scan`` returns; ``--format sarif`` a
SARIF 2.1.0 log for GitHub code scanning; ``table`` (default) a summary for people. A
progress bar goes to stderr for long scans when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from api.cli import UsageError

TABLE_ROWS = 40
_PROGRESS_MIN_FILES = 50


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="find slow code: complexity, maintainability and performance findings",
        description="Scan a Python file, a directory tree, or source on stdin ('-') for "
        "algorithmic and performance problems.",
    )
    parser.add_argument("path", help="file or directory to scan, or - to read source from stdin")
    parser.add_argument(
        "--format", choices=("table", "json", "sarif"), default="table", help="output format"
    )
    parser.add_argument(
        "--min-complexity", type=float, metavar="N", help="report only files scoring at least N (0-100)"
    )
    parser.add_argument("--max-files", type=int, metavar="N", help="analyse at most N files")
    parser.add_argument(
        "--file-pattern", default="*.py", metavar="GLOB", help="files to scan in a directory (default: *.py)"
    )
    parser.add_argument(
        "--no-metrics", action="store_true", help="skip maintainability/raw metrics (faster)"
    )
    parser.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from core.analysis.scanner import ScanError, scan_path, scan_source

    if args.min_complexity is not None and not 0 <= args.min_complexity <= 100:
        raise UsageError("--min-complexity must be between 0 and 100")
    if args.max_files is not None and args.max_files < 1:
        raise UsageError("--max-files must be at least 1")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    include_metrics = not args.no_metrics
    try:
        if args.path == "-":
            body = scan_source(
                sys.stdin.read(),
                "<stdin>",
                include_metrics=include_metrics,
                min_complexity=args.min_complexity,
            )
        else:
            if not os.path.exists(args.path):
                raise UsageError(f"no such file or directory: {args.path}")
            with _progress_bar(args.path) as progress:
                body = scan_path(
                    args.path,
                    file_pattern=args.file_pattern,
                    include_metrics=include_metrics,
                    min_complexity=args.min_complexity,
                    max_files=args.max_files,
                    workers=args.workers,
                    progress=progress,
                )
    except ScanError as exc:
        raise UsageError(str(exc)) from None

    if args.format == "json":
        text = json.dumps(body, indent=2)
    elif args.format == "sarif":
        from core.analysis.sarif import to_sarif
        from core.settings import get_settings

        text = json.dumps(to_sarif(body, base_dir=os.getcwd(), version=get_settings().APP_VERSION), indent=2)
    else:
        text = _table(body, include_metrics)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text + "\n")
    return 0


class _progress_bar:
    """A rich progress bar on stderr for directory scans, when stderr is a terminal."""

    def __init__(self, path: str) -> None:
        self.enabled = os.path.isdir(path) and sys.stderr.isatty()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            from core.progress import no_progress

            return no_progress
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task("scanning", total=1.0)
        return self._update

    def _update(self, *, phase: str | None = None, progress: float | None = None, status: str | None = None) -> None:
        fields: dict[str, Any] = {}
        if phase:
            fields["description"] = phase
        if progress is not None:
            fields["completed"] = progress
        self._bar.update(self._task, **fields)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _table(body: dict[str, Any], include_metrics: bool) -> str:
    from rich.console import Console
    from rich.table import Table

    console = Console(record=True, width=max(100, _terminal_width()), file=open(os.devnull, "w"))  # noqa: SIM115
    results = body["scan_results"]
    files = Table(title="Files", show_lines=False)
    files.add_column("file")
    if include_metrics:
        files.add_column("complexity", justify="right")
        files.add_column("maint.", justify="right")
        files.add_column("loc", justify="right")
    files.add_column("findings", justify="right")
    files.add_column("top bottleneck")
    ordered = sorted(
        results,
        key=lambda e: (-len(e["findings"]), -(e.get("complexity_score") or 0), e["file_path"]),
    )
    for entry in ordered[:TABLE_ROWS]:
        row = [entry["file_path"]]
        if include_metrics:
            row += [
                f"{entry['complexity_score']:.1f}",
                f"{entry['maintainability_score']:.1f}",
                str(entry["lines_of_code"]),
            ]
        top = entry.get("error") and f"[red]error: {entry['error']}[/red]"
        top = top or (entry["bottlenecks"][0] if entry["bottlenecks"] else "")
        row += [str(len(entry["findings"])), top]
        files.add_row(*row)
    if len(ordered) > TABLE_ROWS:
        files.caption = f"{len(ordered) - TABLE_ROWS} more files (use --format json for all)"
    console.print(files)
    if body["hotspots"]:
        hot = Table(title="Hotspots")
        for col in ("file", "potential", "score", "complexity", "loc", "bottlenecks"):
            hot.add_column(col)
        for h in body["hotspots"]:
            hot.add_row(
                h["file_path"],
                h["optimization_potential"],
                str(h["potential_score"]),
                f"{h['complexity_score']:.1f}",
                str(h["loc"]),
                str(h["bottlenecks"]),
            )
        console.print(hot)
    s = body["summary"]
    sev = s["findings_by_severity"]
    console.print(
        f"{s['total_files']} files, {s['total_findings']} findings "
        f"({sev['high']} high, {sev['medium']} medium, {sev['low']} low), "
        f"average complexity {s['avg_complexity']}, "
        f"{s['high_complexity_files']} files at or above {s['high_complexity_threshold']:g}"
        + (f", {s['files_with_errors']} not analysed" if s["files_with_errors"] else "")
        + (f", first {s['total_files']} of {s['files_found']} files" if s["truncated"] else "")
    )
    return console.export_text().rstrip()


def _terminal_width() -> int:
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError):
        return 120
