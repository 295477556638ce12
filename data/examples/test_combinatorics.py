import pytest

from combinatorics import binomial, fibonacci, grid_paths, partitions, stair_ways


@pytest.mark.parametrize(("n", "expected"), [(0, 0), (1, 1), (2, 1), (10, 55), (20, 6765)])
def test_fibonacci(n, expected):
    assert fibonacci(n) == expected


def test_stair_ways():
    assert [stair_ways(n) for n in range(8)] == [1, 1, 2, 4, 7, 13, 24, 44]
    assert stair_ways(-1) == 0


def test_partitions():
    assert partitions(5, 5) == 7
    assert partitions(10, 3) == 14
    assert partitions(0, 0) == 1
    assert partitions(4, 0) == 0


def test_grid_paths():
    open_grid = [[0] * 4 for _ in range(3)]
    assert grid_paths(open_grid) == 10
    blocked = [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert grid_paths(blocked) == 2
    assert grid_paths([[1]]) == 0
    # the grid is read, never changed
    assert blocked == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]


def test_grid_paths_are_per_grid():
    assert grid_paths([[0, 0], [0, 0]]) == 2
    assert grid_paths([[0, 1], [0, 0]]) == 1


def test_binomial():
    assert [binomial(6, k) for k in range(7)] == [1, 6, 15, 20, 15, 6, 1]
