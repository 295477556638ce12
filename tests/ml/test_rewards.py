from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml.rewards import (
    FAILURE_GAIN,
    gain_to_reward,
    reward_for_attempt,
    reward_from_measurement,
    weighted_gain,
)


def test_known_values():
    assert reward_from_measurement(-50, -50, {"runtime": 0.5, "memory": 0.5}, 10_000) == \
        pytest.approx(math.log1p(5000))
    assert reward_from_measurement(0, 0) == 0.0
    assert reward_from_measurement(10, 10) == pytest.approx(-math.log1p(1000))
    # weights decide which resource counts
    assert reward_from_measurement(-40, 30, {"runtime": 1, "memory": 0}) > 0
    assert reward_from_measurement(-40, 30, {"runtime": 0, "memory": 1}) < 0
    assert weighted_gain(-40, -20, (0.7, 0.3)) == pytest.approx(0.34)


def test_failed_attempts_cost_and_skipped_measure():
    assert reward_for_attempt("not_equivalent", None, None) == pytest.approx(
        gain_to_reward(FAILURE_GAIN))
    assert reward_for_attempt("validated", -20, 0) == reward_from_measurement(-20, 0)
    assert reward_for_attempt("skipped", None, None) == 0.0


@pytest.mark.parametrize("weights", [{"runtime": 0, "memory": 0}, (-1, 1), {"runtime": float("nan")}])
def test_bad_weights(weights):
    with pytest.raises(ValueError):
        reward_from_measurement(-10, -10, weights)


def test_bad_deltas_and_scale():
    with pytest.raises(ValueError):
        reward_from_measurement(float("inf"), 0)
    with pytest.raises(ValueError):
        reward_from_measurement(-10, 0, None, 0)


deltas = st.floats(-99, 500, allow_nan=False)


@given(a=deltas, b=deltas, m=st.floats(-99, 500), w=st.floats(0.01, 1))
def test_monotone_and_odd(a, b, m, w):
    weights = {"runtime": w, "memory": 1 - w + 0.01}
    ra, rb = reward_from_measurement(a, m, weights), reward_from_measurement(b, m, weights)
    if a < b:
        assert ra >= rb
    assert gain_to_reward(0.3) == -gain_to_reward(-0.3)
