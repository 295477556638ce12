"""The state vector the policy sees: one fixed-length list of floats per analysed file.

Built only from :class:`core.analysis.model.FileAnalysis`, and used identically by the
dataset generator, pretraining, inference (ranking action types for the optimizer) and
online feedback. Every feature lies in [0, 1]. Layout (``STATE_LAYOUT`` names them):

====  ======================  ==============================================================
idx   name                    value
====  ======================  ==============================================================
0     complexity              ``complexity_score / 100`` (the analyzer's 0-100 score)
1     issue_load              ``n / (n + 10)`` with ``n`` = number of findings
2     maintainability         ``maintainability_score / 100``
3     max_cc                  ``max_cc / (max_cc + 30)`` (worst function's cyclomatic cx.)
4     loc                     ``log1p(lines_of_code) / log1p(10000)``, capped at 1
5     avg_cc                  ``avg_cc / (avg_cc + 10)``
6     functions               ``functions / (functions + 10)``
7     classes                 ``classes / (classes + 5)``
8     recursion               fraction of functions that call themselves
9     comment_ratio           ``comment_lines / lines_of_code``
10    severity_high           share of findings with severity ``high`` (0 when none)
11    severity_medium         share with severity ``medium``
12    severity_low            share with severity ``low``
13..  findings:<action_type>  ``min(1, count / 3)`` per action type, in taxonomy order,
                              without ``no_change`` (no detector points to it)
====  ======================  ==============================================================

The guide's example ``[0.85, 0.3, 0.6, 0.25, 0.4, 0.2, 0, 0, 0, 1, ...]`` reads here as:
complexity 85/100, 4-5 findings, maintainability 60/100, worst function CC 10, ~40 lines,
average CC 2.5, ... A file the analyzer could not read (``error`` set) has all metrics at
zero and no findings, so its state is all zeros.

This module imports neither numpy nor torch: the optimizer calls it on every file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from core.actions import PRODUCTION_ACTION_TYPES
from core.analysis.model import FileAnalysis

METRIC_FEATURES: list[str] = [
    "complexity",
    "issue_load",
    "maintainability",
    "max_cc",
    "loc",
    "avg_cc",
    "functions",
    "classes",
    "recursion",
    "comment_ratio",
    "severity_high",
    "severity_medium",
    "severity_low",
]

#: Action types that have a findings column (all but ``no_change``), in taxonomy order.
FINDING_ACTIONS: list[str] = [a for a in PRODUCTION_ACTION_TYPES if a != "no_change"]

STATE_LAYOUT: list[str] = METRIC_FEATURES + [f"findings:{a}" for a in FINDING_ACTIONS]
STATE_DIM: int = len(STATE_LAYOUT)

#: Index of the first findings column; ``FINDINGS_OFFSET + FINDING_ACTIONS.index(a)``.
FINDINGS_OFFSET: int = len(METRIC_FEATURES)
FEATURE_INDEX: dict[str, int] = {name: i for i, name in enumerate(STATE_LAYOUT)}

#: Findings per action type at which its column saturates at 1.
FINDINGS_SATURATION = 3
_SEVERITIES = ("high", "medium", "low")


def _ratio(x: float, half: float) -> float:
    """Squash a non-negative count into [0, 1); ``half`` is where it reaches 0.5."""
    x = max(0.0, float(x))
    return x / (x + half)


def _clip01(x: float) -> float:
    return 0.0 if x != x else min(1.0, max(0.0, float(x)))  # NaN -> 0


def build_state(analysis: FileAnalysis) -> list[float]:
    """The state vector of one analysed file (see the module docstring for the layout)."""
    loc = max(0, analysis.lines_of_code)
    findings = analysis.findings
    n = len(findings)
    state = [0.0] * STATE_DIM
    state[0] = _clip01(analysis.complexity_score / 100.0)
    state[1] = _ratio(n, 10)
    state[2] = _clip01(analysis.maintainability_score / 100.0)
    state[3] = _ratio(analysis.max_cyclomatic_complexity, 30)
    state[4] = _clip01(math.log1p(loc) / math.log1p(10_000))
    state[5] = _ratio(analysis.avg_cyclomatic_complexity, 10)
    state[6] = _ratio(analysis.functions, 10)
    state[7] = _ratio(analysis.classes, 5)
    fm = analysis.function_metrics
    state[8] = sum(1 for f in fm if f.is_recursive) / len(fm) if fm else 0.0
    state[9] = _clip01(analysis.comment_lines / loc) if loc else 0.0
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.action_type] = counts.get(f.action_type, 0) + 1
    if n:
        for i, sev in enumerate(_SEVERITIES):
            state[10 + i] = sum(1 for f in findings if f.severity == sev) / n
    for j, action in enumerate(FINDING_ACTIONS):
        c = counts.get(action, 0)
        if c:
            state[FINDINGS_OFFSET + j] = min(1.0, c / FINDINGS_SATURATION)
    return state


def validate_state(state: Sequence[float], *, what: str = "state") -> list[float]:
    """Return ``state`` as a list of floats, or raise ValueError naming what is wrong."""
    if isinstance(state, str | bytes) or not isinstance(state, Sequence):
        try:
            state = list(state)  # numpy arrays, tensors
        except TypeError:
            raise ValueError(f"{what} must be a list of {STATE_DIM} numbers") from None
    if len(state) != STATE_DIM:
        raise ValueError(
            f"{what} has {len(state)} values, expected {STATE_DIM} (see ml.state.STATE_LAYOUT)"
        )
    out = []
    for i, v in enumerate(state):
        if isinstance(v, bool) or not isinstance(v, int | float) and not hasattr(v, "__float__"):
            raise ValueError(f"{what}[{i}] is not a number: {v!r}")
        fv = float(v)
        if not math.isfinite(fv):
            raise ValueError(f"{what}[{i}] is not finite: {fv}")
        out.append(fv)
    return out


def findings_by_action(state: Sequence[float]) -> dict[str, float]:
    """The non-zero findings columns of a state, keyed by action type."""
    return {
        a: float(state[FINDINGS_OFFSET + j])
        for j, a in enumerate(FINDING_ACTIONS)
        if state[FINDINGS_OFFSET + j] > 0
    }


def describe_state(state: Sequence[float]) -> dict[str, float]:
    """``{feature name: value}`` for the non-zero features (logs, ``velox policy``)."""
    return {name: float(v) for name, v in zip(STATE_LAYOUT, state, strict=True) if v}
