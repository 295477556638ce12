"""Deep comparison of call outcomes (in process: the comparer is pure)."""

from __future__ import annotations

import collections
import copy
import math
import types

from hypothesis import given
from hypothesis import strategies as st

from core.verify.equivalence import compare_outcomes, compare_values, mask_addresses

json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    | st.tuples(inner, inner),
    max_leaves=20,
)


@given(json_like)
def test_a_value_equals_its_deep_copy(value):
    assert compare_values(value, copy.deepcopy(value)) is None


@given(st.lists(st.integers(), min_size=1, max_size=10), st.integers())
def test_a_changed_element_is_reported_with_its_path(items, delta):
    changed = list(items)
    changed[-1] = items[-1] + (delta or 1)
    found = compare_values(items, changed)
    assert found is not None
    assert f"[{len(items) - 1}]" in found


def test_floats_within_tolerance_and_nan_equal():
    assert compare_values(0.1 + 0.2, 0.3) is None
    assert compare_values(float("nan"), float("nan")) is None
    assert compare_values([1.0, float("nan")], [1.0, float("nan")]) is None
    assert compare_values(1.0, 1.001) is not None
    assert compare_values(float("inf"), float("inf")) is None
    assert compare_values(float("inf"), -math.inf) is not None
    assert compare_values(complex(1, 2), complex(1, 2 + 1e-15)) is None


def test_types_must_match():
    assert "type int != float" in compare_values(1, 1.0)
    assert compare_values(True, 1) is not None
    assert compare_values([1, 2], (1, 2)) is not None


def test_dicts_ignore_order_but_not_values():
    assert compare_values({"a": 1, "b": 2}, {"b": 2, "a": 1}) is None
    assert "['b']" in compare_values({"a": 1, "b": 2}, {"a": 1, "b": 3})
    assert compare_values({"a": 1}, {"a": 1, "b": 2}) is not None


def test_sets_and_deques():
    assert compare_values({1, 2, 3}, {3, 2, 1}) is None
    assert compare_values({1, 2}, {1, 3}) is not None
    assert compare_values(collections.deque([1, 2]), collections.deque([1, 2])) is None


def _class_in(module_name: str):
    module = types.ModuleType(module_name)
    exec("class Point:\n    def __init__(self, x):\n        self.x = x\n", module.__dict__)
    return module.Point


def test_instances_of_the_module_s_own_classes_compare_by_state():
    # the original and the candidate each define their own class object
    a_cls, b_cls = _class_in("target"), _class_in("target")
    assert a_cls is not b_cls
    assert compare_values(a_cls(1), b_cls(1), local_modules=("target",)) is None
    assert "x" in compare_values(a_cls(1), b_cls(2), local_modules=("target",))


def test_cycles_terminate():
    a: list = [1]
    a.append(a)
    b: list = [1]
    b.append(b)
    assert compare_values(a, b) is None


def test_exceptions_compare_type_and_message_with_addresses_masked():
    e1 = ValueError("bad <object at 0x7f00deadbeef>")
    e2 = ValueError("bad <object at 0x7f00cafef00d>")
    assert compare_values(e1, e2) is None
    assert compare_values(ValueError("a"), ValueError("b")) is not None
    assert mask_addresses("at 0x7ffe12345678") == "at 0x?"


def test_numpy_arrays_compare_by_dtype_shape_and_values():
    import numpy as np

    assert compare_values(np.array([1.0, np.nan]), np.array([1.0, np.nan])) is None
    assert compare_values(np.array([1, 2]), np.array([1, 3])) is not None
    assert compare_values(np.array([1, 2]), np.array([1.0, 2.0])) is not None
    assert compare_values(np.float64(0.1 + 0.2), np.float64(0.3)) is None


def _outcome(**kw):
    base = {"raised": None, "value": None, "args": [], "kwargs": {}, "stdout": ""}
    base.update(kw)
    return base


def test_outcomes_report_each_kind_of_difference():
    assert compare_outcomes(_outcome(value=1), _outcome(value=1)) is None
    assert compare_outcomes(_outcome(value=1), _outcome(value=2))[0] == "return"
    assert compare_outcomes(_outcome(args=[[1, 2]]), _outcome(args=[[2, 1]]))[0] == "mutation"
    assert compare_outcomes(_outcome(stdout="a\n"), _outcome(stdout="b\n"))[0] == "stdout"
    kind, detail = compare_outcomes(_outcome(value=1), _outcome(raised=KeyError("k")))
    assert kind == "exception" and "KeyError" in detail
    kind, _ = compare_outcomes(_outcome(raised=KeyError("k")), _outcome(raised=IndexError("k")))
    assert kind == "exception"
    assert compare_outcomes(_outcome(raised=KeyError("k")), _outcome(raised=KeyError("k"))) is None
