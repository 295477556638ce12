from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.actions import PRODUCTION_ACTION_TYPES
from core.analysis.model import FileAnalysis, Finding, FunctionMetrics
from ml.state import (
    FEATURE_INDEX,
    FINDING_ACTIONS,
    FINDINGS_OFFSET,
    STATE_DIM,
    STATE_LAYOUT,
    build_state,
    describe_state,
    findings_by_action,
    validate_state,
)
from ml.training_semantics import PRODUCTION_ACTION_TYPES as REEXPORTED


def _finding(action: str, severity: str = "high") -> Finding:
    return Finding("VX100", action, severity, "msg", 1, 0, 1, 5)


def test_layout_names_every_feature_once():
    assert len(STATE_LAYOUT) == STATE_DIM == len(set(STATE_LAYOUT))
    assert STATE_LAYOUT[:3] == ["complexity", "issue_load", "maintainability"]
    assert [a for a in PRODUCTION_ACTION_TYPES if a != "no_change"] == FINDING_ACTIONS
    assert REEXPORTED is PRODUCTION_ACTION_TYPES


def test_state_of_the_guides_example_file():
    analysis = FileAnalysis(
        "x.py", complexity_score=85, maintainability_score=60, lines_of_code=39,
        max_cyclomatic_complexity=10, avg_cyclomatic_complexity=2.5, functions=3,
        function_metrics=[FunctionMetrics("f", 1, 5, 10, is_recursive=True),
                          FunctionMetrics("g", 6, 9, 1)],
        findings=[_finding("caching_strategy"), _finding("caching_strategy", "low"),
                  _finding("loop_optimization", "medium")],
    )
    s = build_state(analysis)
    assert s[FEATURE_INDEX["complexity"]] == pytest.approx(0.85)
    assert s[FEATURE_INDEX["maintainability"]] == pytest.approx(0.6)
    assert s[FEATURE_INDEX["max_cc"]] == pytest.approx(0.25)
    assert s[FEATURE_INDEX["loc"]] == pytest.approx(0.4, abs=0.01)
    assert s[FEATURE_INDEX["avg_cc"]] == pytest.approx(0.2)
    assert s[FEATURE_INDEX["issue_load"]] == pytest.approx(3 / 13)
    assert s[FEATURE_INDEX["recursion"]] == pytest.approx(0.5)
    assert [s[FEATURE_INDEX[f"severity_{k}"]] for k in ("high", "medium", "low")] == \
        pytest.approx([1 / 3, 1 / 3, 1 / 3])
    assert findings_by_action(s) == pytest.approx({"caching_strategy": 2 / 3, "loop_optimization": 1 / 3})
    assert describe_state(s)["findings:caching_strategy"] == pytest.approx(2 / 3)


def test_findings_column_saturates_and_unknown_actions_are_ignored():
    analysis = FileAnalysis("x.py", findings=[_finding("vectorization")] * 7 + [_finding("made_up")])
    s = build_state(analysis)
    assert s[FINDINGS_OFFSET + FINDING_ACTIONS.index("vectorization")] == 1.0
    assert sum(s[FINDINGS_OFFSET:]) == 1.0


def test_unreadable_file_gives_all_zero_state():
    assert build_state(FileAnalysis("bad.py", error="syntax error")) == [0.0] * STATE_DIM


@settings(max_examples=60, deadline=None)
@given(
    complexity=st.floats(-50, 500) | st.just(float("nan")), mi=st.floats(-50, 500),
    loc=st.integers(0, 10**7), max_cc=st.integers(0, 10**4), avg_cc=st.floats(0, 1e4),
    functions=st.integers(0, 10**5), comments=st.integers(0, 10**7),
    actions=st.lists(st.sampled_from(PRODUCTION_ACTION_TYPES), max_size=30),
)
def test_every_feature_is_in_unit_interval(complexity, mi, loc, max_cc, avg_cc, functions,
                                           comments, actions):
    analysis = FileAnalysis(
        "f.py", complexity_score=complexity, maintainability_score=mi, lines_of_code=loc,
        max_cyclomatic_complexity=max_cc, avg_cyclomatic_complexity=avg_cc,
        functions=functions, comment_lines=comments,
        findings=[_finding(a, "medium") for a in actions],
    )
    s = build_state(analysis)
    assert len(s) == STATE_DIM
    assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in s)


def test_validate_state_rejects_bad_input():
    assert validate_state([0] * STATE_DIM) == [0.0] * STATE_DIM
    with pytest.raises(ValueError, match=f"expected {STATE_DIM}"):
        validate_state([0.0] * 3)
    with pytest.raises(ValueError, match="not finite"):
        validate_state([float("nan")] * STATE_DIM)
    with pytest.raises(ValueError, match="not a number"):
        validate_state(["x"] * STATE_DIM)
    with pytest.raises(ValueError):
        validate_state("abc")
