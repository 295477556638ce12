"""Result types of the analyzer, shared by the scanner, the optimizer and the policy's state.

These are plain dataclasses so that they cross process boundaries (multiprocessing,
Celery JSON) through ``to_dict``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["high", "medium", "low"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One detector hit: what is slow, where, and which action type fixes it."""

    detector_id: str  # e.g. "VX101"
    action_type: str  # one of core.actions.PRODUCTION_ACTION_TYPES
    severity: Severity
    message: str  # names the fix
    line: int  # 1-based
    col: int  # 0-based, as in the ast module
    end_line: int
    end_col: int
    function: str | None = None  # qualified name of the enclosing function, if any

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class FunctionMetrics:
    name: str  # qualified name, e.g. "Class.method"
    line: int
    end_line: int
    cyclomatic_complexity: int
    is_recursive: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class FileAnalysis:
    """Everything one parse of one file yields.

    ``complexity_score`` and ``maintainability_score`` are on 0-100 (formulas in
    ``core.analysis.metrics``). ``error`` is set, and the metrics left at zero, when the
    file could not be analysed (syntax error, not UTF-8, binary, too large).
    """

    file_path: str
    complexity_score: float = 0.0
    maintainability_score: float = 0.0
    lines_of_code: int = 0
    source_lines: int = 0
    comment_lines: int = 0
    functions: int = 0
    classes: int = 0
    max_cyclomatic_complexity: int = 0
    avg_cyclomatic_complexity: float = 0.0
    function_metrics: list[FunctionMetrics] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
