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


@given(st.lists(st.integers(), max_size=12), st.integers(0, 12), st.integers(0, 12))
def test_iterator_arguments_compare_by_the_items_left(items, used_a, used_b):
    # more-itertools passes iter(xs) to its helpers: two list_iterators are never ==, so
    # every correct rewrite of such a function was reported as a mutation difference
    a, b = iter(items), iter(items)
    for _ in range(min(used_a, len(items))):
        next(a)
    for _ in range(min(used_b, len(items))):
        next(b)
    found = compare_outcomes(_outcome(args=[a]), _outcome(args=[b]))
    if min(used_a, len(items)) == min(used_b, len(items)):
        assert found is None
    else:
        assert found is not None and found[0] == "mutation" and "remaining items" in found[1]


def test_other_builtin_iterators_compare_by_their_items():
    assert compare_values(iter(range(5)), iter(range(5))) is None
    assert compare_values(iter("ab"), iter("ab")) is None
    assert compare_values(iter({"k": 1}), iter({"k": 1})) is None
    assert compare_values(reversed([1, 2]), reversed([1, 2])) is None
    assert compare_values(iter([1, 2]), iter([1, 3])) is not None
    assert compare_values(iter([1]), iter((1,))) is not None  # list_ vs tuple_iterator


def test_an_iterator_that_cannot_be_read_is_a_difference():
    d1, d2 = {1: 1}, {1: 1}
    i1, i2 = iter(d1), iter(d2)
    d1[2] = 2  # reading i1 now raises RuntimeError
    d2[2] = 2
    assert compare_values(i1, i2) is not None


def test_match_objects_compare_by_what_they_matched():
    import re

    from core.verify.equivalence import compare_values

    pattern = re.compile(r"(\w+)=(\d+)")
    a, b = pattern.search("x k=1"), pattern.search("x k=1")
    assert a is not b
    assert compare_values(a, b) is None
    assert compare_values(a, pattern.search("x k=2")) is not None
    assert compare_values(a, pattern.search("y k=1")) is not None  # another string
