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
    """One detector hit: what is slow, where, and which action type fixes it.

    ``message`` is ``"<title>: <fix>"``; ``title`` (the bottleneck) and ``fix`` (the
    opportunity) are also kept apart for the scan report's ``bottlenecks`` and
    ``opportunities`` lists. Columns are 0-based character offsets in the line (the ast
    module's UTF-8 byte offsets converted to characters).
    """

    detector_id: str  # e.g. "VX101"
    action_type: str  # one of core.actions.PRODUCTION_ACTION_TYPES
    severity: Severity
    message: str  # names the fix
    line: int  # 1-based
    col: int  # 0-based
    end_line: int
    end_col: int
    function: str | None = None  # qualified name of the enclosing function, if any
    title: str = ""  # the bottleneck, e.g. "O(n^2) bubble sort"
    fix: str = ""  # the opportunity, e.g. "use list.sort() or sorted()"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**data)


@dataclass(slots=True)
class FunctionMetrics:
    name: str  # qualified name, e.g. "Class.method"
    line: int
    end_line: int
    cyclomatic_complexity: int
    is_recursive: bool = False
    max_loop_depth: int = 0  # deepest nesting of for/while/comprehension loops

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class FileAnalysis:
    """Everything one parse of one file yields.

    ``complexity_score`` and ``maintainability_score`` are on 0-100 (formulas in
    ``core.analysis.metrics``). ``error`` is set, and the metrics left at zero, when the
    file could not be analysed (syntax error, not UTF-8, binary, too large).

    ``lines_of_code`` is radon's ``loc`` (all lines), ``source_lines`` its ``sloc``,
    ``comment_lines`` its ``comments``; ``logical_lines``, ``blank_lines`` and
    ``multiline_string_lines`` are radon's ``lloc``, ``blank`` and ``multi``.
    ``metrics_computed`` is False when the file was analysed with ``metrics=False``
    (no Halstead volume, maintainability index or raw counts beyond the line count).
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
    logical_lines: int = 0
    blank_lines: int = 0
    multiline_string_lines: int = 0
    total_cyclomatic_complexity: int = 0
    halstead_volume: float = 0.0
    max_loop_depth: int = 0
    metrics_computed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileAnalysis:
        data = dict(data)
        data["function_metrics"] = [
            FunctionMetrics(**f) for f in data.get("function_metrics", [])
        ]
        data["findings"] = [Finding(**f) for f in data.get("findings", [])]
        return cls(**data)
