"""From a measured attempt to a scalar reward — the one formula used everywhere.

The optimizer measures runtime and peak memory before and after a rewrite; deltas are in
percent, negative meaning better (``-40.0`` = 40 % faster). With objective weights
``w_r`` (runtime) and ``w_m`` (memory)::

    gain   = (w_r * -runtime_delta_pct + w_m * -memory_delta_pct) / (100 * (w_r + w_m))
    reward = sign(gain) * ln(1 + reward_scale * |gain|)

``gain`` is the weighted fractional improvement (0.5 = half the cost gone). The logarithm
keeps rewards in a range a Q-network learns well (about ±9 at the default scale of 10000:
a 50 % gain gives 8.5, 10 % gives 6.9, 1 % gives 4.6, none gives 0, a 10 % regression
-6.9) and stops one spectacular speedup from dominating the targets; ``reward_scale``
decides how fast small gains saturate. The formula is odd-symmetric and monotone in both
deltas, so ranking attempts by reward ranks them by weighted gain.

Attempts that produced nothing measurable (the rewrite broke behaviour, failed the tests,
crashed, timed out) get :data:`FAILURE_GAIN`'s reward: the cost of a 5 % regression.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

#: Weighted gain charged for an attempt that failed verification.
FAILURE_GAIN = -0.05
DEFAULT_REWARD_SCALE = 10_000.0

#: validation_status values whose measurement is trusted as the outcome.
MEASURED_STATUSES = frozenset({"validated", "no_speedup", "skipped"})


def _weights(weights: Mapping[str, float] | Sequence[float] | None) -> tuple[float, float]:
    if weights is None:
        return 0.5, 0.5
    if isinstance(weights, Mapping):
        w_r, w_m = float(weights.get("runtime", 0.0)), float(weights.get("memory", 0.0))
    else:
        w_r, w_m = (float(w) for w in weights)
    if w_r < 0 or w_m < 0 or not math.isfinite(w_r + w_m):
        raise ValueError(f"objective weights must be non-negative, got runtime={w_r}, memory={w_m}")
    if w_r + w_m == 0:
        raise ValueError("objective weights must not both be zero")
    return w_r, w_m


def weighted_gain(
    runtime_delta_pct: float,
    memory_delta_pct: float,
    weights: Mapping[str, float] | Sequence[float] | None = None,
) -> float:
    """Weighted fractional improvement (positive = better)."""
    w_r, w_m = _weights(weights)
    return (w_r * -float(runtime_delta_pct) + w_m * -float(memory_delta_pct)) / (100.0 * (w_r + w_m))


def gain_to_reward(gain: float, reward_scale: float = DEFAULT_REWARD_SCALE) -> float:
    """``sign(gain) * ln(1 + reward_scale * |gain|)``."""
    if reward_scale <= 0:
        raise ValueError(f"reward_scale must be positive, got {reward_scale}")
    return math.copysign(math.log1p(reward_scale * abs(gain)), gain) if gain else 0.0


def reward_from_measurement(
    runtime_delta_pct: float,
    memory_delta_pct: float,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    reward_scale: float = DEFAULT_REWARD_SCALE,
) -> float:
    """Reward of a measured attempt (module docstring has the formula).

    ``weights`` is ``{"runtime": w_r, "memory": w_m}`` (the guide's ``objective_weights``)
    or a pair; ``None`` means 0.5/0.5. Non-finite deltas raise ValueError.
    """
    for name, v in (("runtime_delta_pct", runtime_delta_pct), ("memory_delta_pct", memory_delta_pct)):
        if v is None or not math.isfinite(float(v)):
            raise ValueError(f"{name} must be a finite number, got {v!r}")
    return gain_to_reward(weighted_gain(runtime_delta_pct, memory_delta_pct, weights), reward_scale)


def reward_for_attempt(
    validation_status: str,
    runtime_delta_pct: float | None,
    memory_delta_pct: float | None,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    reward_scale: float = DEFAULT_REWARD_SCALE,
) -> float:
    """Reward of any attempt: measured ones by their deltas, failed ones the failure cost."""
    if (
        validation_status in MEASURED_STATUSES
        and runtime_delta_pct is not None
        and memory_delta_pct is not None
    ):
        return reward_from_measurement(runtime_delta_pct, memory_delta_pct, weights, reward_scale)
    if validation_status in MEASURED_STATUSES:  # nothing measured (e.g. validation skipped)
        return 0.0
    return gain_to_reward(FAILURE_GAIN, reward_scale)
