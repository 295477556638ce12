"""The scan job: what ``POST /scan`` (via the ``cpu`` queue or the embedded executor) runs.

``run_scan(params, progress)`` validates ``params`` (the request body's fields:
``directory`` or ``path``, ``file_pattern``, ``include_metrics``, ``min_complexity``,
``max_files``), checks that the path lies under one of ``ALLOWED_CODE_ROOTS``, and returns
the scan body. Bad input raises ``ValueError`` with a one-line message naming the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.analysis.scanner import ScanError, scan_path
from core.progress import Progress, no_progress
from core.settings import Settings, get_settings

_KNOWN = {"directory", "path", "file_pattern", "include_metrics", "min_complexity", "max_files"}


def run_scan(
    params: dict[str, Any], progress: Progress = no_progress, *, settings: Settings | None = None
) -> dict[str, Any]:
    """Scan the directory (or file) named in ``params`` and return the ``POST /scan`` body."""
    if not isinstance(params, dict):
        raise ValueError("scan parameters must be an object")
    unknown = sorted(set(params) - _KNOWN)
    if unknown:
        raise ValueError(f"unknown scan parameter(s): {', '.join(unknown)}")
    target = params.get("directory", params.get("path"))
    if not isinstance(target, str) or not target.strip():
        raise ValueError("directory: a directory or file path is required")
    pattern = params.get("file_pattern", "*.py")
    if not isinstance(pattern, str) or not pattern:
        raise ValueError("file_pattern must be a non-empty glob such as '*.py'")
    include_metrics = params.get("include_metrics", True)
    if not isinstance(include_metrics, bool):
        raise ValueError("include_metrics must be true or false")
    settings = settings or get_settings()
    _check_allowed(Path(target), settings)
    try:
        return scan_path(
            target,
            file_pattern=pattern,
            include_metrics=include_metrics,
            min_complexity=params.get("min_complexity"),
            max_files=params.get("max_files"),
            progress=progress,
        )
    except ScanError as exc:
        raise ValueError(str(exc)) from None


def _check_allowed(target: Path, settings: Settings) -> None:
    resolved = target.expanduser().resolve()
    roots = settings.allowed_code_roots
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        raise ValueError(
            f"directory: {target} is outside the allowed code roots (ALLOWED_CODE_ROOTS)"
        )
