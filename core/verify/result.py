"""What verification and measurement of one candidate found."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ValidationStatus = Literal[
    "validated", "not_equivalent", "tests_failed", "no_speedup", "syntax_error", "timeout",
    "crashed", "resource_limit", "skipped",
]
VALIDATION_STATUSES: tuple[str, ...] = (
    "validated", "not_equivalent", "tests_failed", "no_speedup", "syntax_error", "timeout",
    "crashed", "resource_limit", "skipped",
)


@dataclass
class VerificationResult:
    """Field names follow the guide where it has one (``validation_status``,
    ``objective_weights``); the measured figures are what the report calls ``expected_*``.

    ``runtime_delta_pct`` and ``memory_delta_pct`` are negative when the candidate is
    faster / leaner; ``weighted_score = w_rt * runtime_delta_pct + w_mem * memory_delta_pct``.
    Measured fields are None when nothing was measured.
    """

    validation_status: ValidationStatus
    reason: str
    functions: list[str] = field(default_factory=list)
    # behaviour
    calls_compared: int = 0
    calls_by_source: dict[str, int] = field(default_factory=dict)
    calls_by_function: dict[str, int] = field(default_factory=dict)
    inputs_skipped: dict[str, int] = field(default_factory=dict)
    mismatch: dict[str, Any] | None = None
    # the user's tests on the patched copy
    test_command: str | None = None
    tests_run: list[str] = field(default_factory=list)
    tests_failed: list[str] = field(default_factory=list)
    test_exit_code: int | None = None
    # measurement
    speedup: float | None = None
    runtime_delta_pct: float | None = None
    memory_delta_pct: float | None = None
    weighted_score: float | None = None
    objective_weights: dict[str, float] = field(default_factory=dict)
    noise_floor_pct: float | None = None
    loops: int | None = None
    faster_share: float | None = None  # back-to-back pairs won, weighted by time (0-1)
    inputs: int | None = None
    original_ns: int | None = None
    candidate_ns: int | None = None
    original_peak_bytes: int | None = None
    candidate_peak_bytes: int | None = None
    # how
    isolation: list[str] = field(default_factory=list)
    duration_seconds: float = 0.0

    @property
    def validated(self) -> bool:
        return self.validation_status == "validated"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
