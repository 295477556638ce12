"""The optimization pipeline end to end: real analysis, rules, sandbox, measurement, storage."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.optimize.pipeline import OptimizeRequest, normalise_weights, optimize_source, unified_diff
from core.settings import Settings
from core.storage.db import session_scope
from core.storage.models import LearnedPattern, OptimizationEpisode, OptimizationRecord

FIB = (
    "def fibonacci(n):\n"
    "    if n <= 1:\n"
    "        return n\n"
    "    return fibonacci(n-1) + fibonacci(n-2)\n"
    "\n"
    "print(fibonacci(25))\n"
)

CLEAN = "def add(a, b):\n    return a + b\n"


@pytest.mark.slow
def test_guide_fibonacci_is_validated_as_caching_strategy(sqlite_settings: Settings) -> None:
    outcome = optimize_source(
        OptimizeRequest(code=FIB, objective_weights={"runtime": 0.8, "memory": 0.2}, max_suggestions=3),
        settings=sqlite_settings,
    )
    body = outcome.to_response()
    assert body["llm_provider"] is None  # no LLM configured: rules only, and it says so
    best = body["suggestions"][0]
    assert best["category"] == "caching_strategy"
    assert best["validation_status"] == "validated"
    assert best["evidence"]["speedup"] > 1.0
    assert best["expected_runtime_delta_pct"] < 0
    assert "lru_cache" in best["optimized_code"] or "cache" in best["optimized_code"]
    assert best["patch_diff"].startswith("--- original\n+++ optimized\n")
    assert best["evidence"]["calls_compared"] >= 1
    for field in ("suggestion_id", "category", "priority", "description", "original_code",
                  "optimized_code", "patch_diff", "expected_runtime_delta_pct",
                  "expected_memory_delta_pct", "expected_weighted_score", "confidence",
                  "validation_status", "implementation_effort", "reasoning"):
        assert field in best
    # weighted score is the objective-weighted sum of the measured deltas
    expected = 0.8 * best["expected_runtime_delta_pct"] + 0.2 * best["expected_memory_delta_pct"]
    assert best["expected_weighted_score"] == pytest.approx(expected, abs=0.05)

    # stored: the request, one transition per measured attempt, rule statistics, feedback line
    with session_scope(sqlite_settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(OptimizationRecord)) == 1
        episodes = session.scalars(select(OptimizationEpisode)).all()
        assert len(episodes) == len(body["attempts"])
        assert any(e.action_type == "caching_strategy" and e.reward > 0 for e in episodes)
        pattern = session.scalars(select(LearnedPattern)).all()
        assert any(p.category == "caching_strategy" and p.successes >= 1 for p in pattern)
    lines = sqlite_settings.feedback_path.read_text().splitlines()
    assert len(lines) == len(body["attempts"])
    assert json.loads(lines[0])["source"] == "shadow_feedback"


def test_code_without_hot_spots_yields_no_suggestion(sqlite_settings: Settings) -> None:
    outcome = optimize_source(OptimizeRequest(code=CLEAN), settings=sqlite_settings)
    assert outcome.suggestions == []
    assert outcome.llm_provider is None


def test_syntax_error_is_a_clear_value_error(sqlite_settings: Settings) -> None:
    with pytest.raises(ValueError, match="cannot analyse"):
        optimize_source(OptimizeRequest(code="def broken(:\n"), settings=sqlite_settings)


def test_objective_weights_are_normalised(sqlite_settings: Settings) -> None:
    assert normalise_weights({"runtime": 2, "memory": 2}, sqlite_settings) == {"runtime": 0.5, "memory": 0.5}
    assert normalise_weights(None, sqlite_settings) == {"runtime": 0.5, "memory": 0.5}
    with pytest.raises(ValueError):
        normalise_weights({"runtime": 0, "memory": 0}, sqlite_settings)
    with pytest.raises(ValueError):
        normalise_weights({"runtime": -1, "memory": 1}, sqlite_settings)


def test_unified_diff_names_both_sides() -> None:
    diff = unified_diff("a = 1\n", "a = 2\n")
    assert diff.splitlines()[:2] == ["--- original", "+++ optimized"]
    assert "-a = 1" in diff and "+a = 2" in diff


UNREACHED = '''class Ledger:
    def __init__(self, entries):
        self.entries = entries

    def total(self):
        out = 0
        for e in self.entries:
            out += e
        return out


def squares(n: int) -> list:
    out = []
    for i in range(n):
        out.append(i * i)
    return out
'''


@pytest.mark.slow
def test_only_measured_and_verified_rewrites_are_suggestions(sqlite_settings: Settings) -> None:
    """A candidate verification could not reach (an instance method, no tests, no doctest)
    is an attempt with its reason, never a suggestion; without validation, a measured
    candidate is returned as 'skipped' with its figures."""
    outcome = optimize_source(OptimizeRequest(code=UNREACHED, use_llm=False), settings=sqlite_settings)
    by_function = {tuple(a["functions"]): a for a in outcome.attempts}
    assert by_function[("Ledger.total",)]["validation_status"] == "skipped"
    assert all(s["validation_status"] == "validated" for s in outcome.suggestions)
    assert not any("Ledger.total" in s["evidence"]["functions"] for s in outcome.suggestions)

    unverified = optimize_source(OptimizeRequest(code=UNREACHED, use_llm=False, run_validation=False),
                                 settings=sqlite_settings)
    assert unverified.suggestions, unverified.attempts
    for s in unverified.suggestions:
        assert s["validation_status"] == "skipped"
        assert s["evidence"]["speedup"] is not None
