"""A proposed rewrite, from a deterministic rule or from an LLM. Both travel the same road:
verification in the sandbox, measurement, report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Effort = Literal["low", "medium", "high"]


@dataclass(slots=True)
class RewriteCandidate:
    rule_id: str  # rule id such as "VXR001", or "llm:<provider>/<model>"
    action_type: str  # one of core.actions.PRODUCTION_ACTION_TYPES
    description: str  # one line: what the rewrite does
    reasoning: str  # why it should be faster/leaner
    original_code: str  # whole module source before the rewrite
    optimized_code: str  # whole module source after the rewrite
    target_functions: list[str] = field(default_factory=list)  # qualified names changed
    implementation_effort: Effort = "low"
    # True when the rule could not prove its preconditions (purity, hashability,
    # no aliasing): verification decides, and the candidate is never reported as
    # validated without compared calls.
    needs_verification: bool = False
    detector_ids: list[str] = field(default_factory=list)
    origin: Literal["rule", "llm"] = "rule"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
