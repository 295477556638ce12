import pytest

from stats_helper import (
    column_sums,
    mean,
    normalise,
    slow,
    sum_of_squares,
    trace,
    triangular,
    variance,
)


@pytest.mark.parametrize("n", [-3, 0, 1, 2, 7, 100])
def test_sum_of_squares(n):
    assert sum_of_squares(n) == sum(i * i for i in range(max(n, 0)))


@pytest.mark.parametrize("n", [-2, 0, 1, 10, 101])
def test_triangular(n):
    assert triangular(n) == sum(range(n))


def test_slow_guide_example():
    assert slow() == 333332833333500000


def test_normalise():
    assert normalise([1.0, 4.0, 2.0]) == [0.25, 1.0, 0.5]
    assert normalise([]) == []


def test_mean_and_variance():
    assert mean([1.0, 2.0, 3.0, 4.0]) == 2.5
    assert variance([1.0, 2.0, 3.0, 4.0]) == pytest.approx(1.25)
    with pytest.raises(ZeroDivisionError):
        mean([])


def test_column_sums_and_trace():
    m = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert column_sums(m) == [5.0, 7.0, 9.0]
    assert trace([[1.0, 9.0], [9.0, 2.0]]) == 3.0
    assert trace([]) == 0
