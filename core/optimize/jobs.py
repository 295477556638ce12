"""Job function for optimization requests (``POST /optimize``, ``/optimize/file``)."""

from __future__ import annotations

from typing import Any

from core.optimize.pipeline import OptimizeRequest, optimize_file, optimize_source, package_root
from core.progress import Progress
from core.settings import get_settings

_OPTIONS = ("objective_weights", "max_suggestions", "run_validation", "unit_test_command",
            "function_name")


def run_optimize(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Optimize inline ``code`` or a ``file_path`` (already confined by the caller)."""
    options = {key: params[key] for key in _OPTIONS if params.get(key) is not None}
    if params.get("file_path"):
        # run from above the module's package, but never outside ALLOWED_CODE_ROOTS
        project = package_root(params["file_path"], within=get_settings().allowed_code_roots)
        outcome = optimize_file(params["file_path"], progress=progress, project_dir=project,
                                **options)
    else:
        outcome = optimize_source(OptimizeRequest(code=params["code"], **options), progress=progress)
    return outcome.to_response()
