"""Job functions for ``repository_scan`` and ``repository_optimize`` (queue ``cpu``).

``params`` are the request body's fields. ``allowed_hosts`` (a list of extra git hosts
besides github.com) is accepted for Python callers and tests; the HTTP API never sets it.
Bad input raises ``ValueError`` (``RepositoryError`` is one) with a one-line message.
"""

from __future__ import annotations

from typing import Any

from core.progress import Progress, no_progress
from core.repository import service

_SCAN_KEYS = {"repository_url", "ref", "max_files", "min_complexity", "allowed_hosts"}
_OPTIMIZE_KEYS = _SCAN_KEYS | {
    "objective_weights", "max_suggestions_per_file", "enable_cross_file_context",
    "enable_batch_coordination", "run_validation", "use_llm",
}


def _checked(params: dict[str, Any], known: set[str]) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise ValueError("repository parameters must be an object")
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"unknown repository parameter(s): {', '.join(unknown)}")
    if not params.get("repository_url"):
        raise ValueError("repository_url is required")
    options = {k: v for k, v in params.items() if v is not None}
    options["allowed_hosts"] = tuple(options.get("allowed_hosts") or ())
    return options


def run_repository_scan(params: dict[str, Any], progress: Progress = no_progress
                        ) -> dict[str, Any]:
    options = _checked(params, _SCAN_KEYS)
    url = options.pop("repository_url")
    return service.scan_repository(url, progress=progress, **options)


def run_repository_optimize(params: dict[str, Any], progress: Progress = no_progress
                            ) -> dict[str, Any]:
    options = _checked(params, _OPTIMIZE_KEYS)
    url = options.pop("repository_url")
    return service.optimize_repository(url, progress=progress, **options)
