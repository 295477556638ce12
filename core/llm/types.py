"""What a caller hands the LLM tier and what it gets back.

Plain dataclasses so results cross process boundaries (Celery JSON) through ``to_dict``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from core.analysis.model import Finding
from core.optimize.candidate import RewriteCandidate

Relation = Literal["caller", "callee", "related"]

# Outcomes of one tier in one request, in the order they can happen.
Outcome = Literal[
    "ok",  # the provider answered and at least one candidate was accepted
    "cached",  # a cached answer for the same provider, model and prompt was used
    "unusable",  # the provider answered, but no candidate survived parsing and checks
    "timeout",  # no complete answer within LLM_TIMEOUT_SECONDS
    "connection_error",  # refused, reset, DNS...
    "http_error",  # the provider answered with an HTTP error status
    "bad_response",  # the answer did not follow the provider's protocol
    "cooling_down",  # skipped: the provider failed repeatedly and is resting
    "budget_exhausted",  # skipped: the request's budget of calls is spent
    "busy",  # skipped: no free call slot in this worker within the timeout
]


@dataclass(slots=True)
class ContextSnippet:
    """Code from another file that the target function calls or is called by."""

    relation: Relation
    path: str
    name: str
    code: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class LLMRequest:
    """One function to rewrite, with what the prompt should carry about it.

    ``function_name`` is the qualified name (``"func"``, ``"Class.method"``). ``max_calls``
    is the request's budget of provider calls across all tiers (cache hits are free); each
    call asks for ``num_candidates`` candidates.
    """

    source: str  # the whole module
    function_name: str
    path: str = "<string>"
    findings: list[Finding] = field(default_factory=list)
    action_type: str | None = None  # the action type the policy ranked for this function
    objective_weights: dict[str, float] | None = None  # None: the settings' weights
    cross_file_context: list[ContextSnippet] = field(default_factory=list)
    num_candidates: int = 3
    max_calls: int = 3


@dataclass(slots=True)
class LLMAttempt:
    """What happened with one tier during one request."""

    tier: str  # e.g. "openrouter-primary"
    provider: str  # openrouter, openai, ollama
    model: str
    outcome: Outcome
    error: str | None = None  # one line, never containing a key
    status_code: int | None = None
    elapsed_ms: float = 0.0
    rejected: list[str] = field(default_factory=list)  # why answered candidates were refused

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class LLMResult:
    """``provider``/``model`` name the tier whose answer gave the candidates; both are None
    when no LLM was used (none configured, or none answered usefully)."""

    provider: str | None = None
    model: str | None = None
    tier: str | None = None
    candidates: list[RewriteCandidate] = field(default_factory=list)
    attempts: list[LLMAttempt] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    calls: int = 0  # provider calls made (HTTP requests), cache hits excluded
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "tier": self.tier,
            "candidates": [c.to_dict() for c in self.candidates],
            "attempts": [a.to_dict() for a in self.attempts],
            "errors": list(self.errors),
            "calls": self.calls,
            "cached": self.cached,
        }
