"""Counting problems solved by plain recursion: lattice paths, partitions, stairs,
Fibonacci. Correct, and exponential."""

from __future__ import annotations


def fibonacci(n):
    if n <= 1:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)


def stair_ways(n: int) -> int:
    """Ways to climb n stairs taking 1, 2 or 3 steps at a time."""
    if n < 0:
        return 0
    if n == 0:
        return 1
    return stair_ways(n - 1) + stair_ways(n - 2) + stair_ways(n - 3)


def partitions(n: int, largest: int) -> int:
    """Number of ways to write n as a sum of parts no larger than ``largest``."""
    if n == 0:
        return 1
    if n < 0 or largest == 0:
        return 0
    return partitions(n - largest, largest) + partitions(n, largest - 1)


def grid_paths(grid: list[list[int]]) -> int:
    """Monotone (right/down) paths from the top-left to the bottom-right cell that avoid
    blocked cells (1)."""
    rows, cols = len(grid), len(grid[0])

    def walk(r: int, c: int) -> int:
        if r >= rows or c >= cols or grid[r][c]:
            return 0
        if r == rows - 1 and c == cols - 1:
            return 1
        return walk(r + 1, c) + walk(r, c + 1)

    return walk(0, 0)


def binomial(n: int, k: int) -> int:
    """n choose k by Pascal's rule."""
    if k == 0 or k == n:
        return 1
    return binomial(n - 1, k - 1) + binomial(n - 1, k)
