"""Job function for optimization requests (``POST /optimize``, ``/optimize/file``)."""

from __future__ import annotations

from typing import Any

from core.optimize.pipeline import OptimizeRequest, optimize_file, optimize_source
from core.progress import Progress

_OPTIONS = ("objective_weights", "max_suggestions", "run_validation", "unit_test_command")


def run_optimize(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Optimize inline ``code`` or a ``file_path`` (already confined by the caller)."""
    options = {key: params[key] for key in _OPTIONS if params.get(key) is not None}
    if params.get("file_path"):
        outcome = optimize_file(params["file_path"], progress=progress, **options)
    else:
        outcome = optimize_source(OptimizeRequest(code=params["code"], **options), progress=progress)
    return outcome.to_response()
