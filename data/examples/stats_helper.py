"""Numeric helpers for a reporting job: sums of powers, normalisation, moments, matrices."""

from __future__ import annotations


def sum_of_squares(n: int) -> int:
    """0**2 + 1**2 + ... + (n-1)**2."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def triangular(n: int) -> int:
    """0 + 1 + ... + (n-1)."""
    return sum(range(n))


def slow():
    """The operations guide's example."""
    return sum([i**2 for i in range(1000000)])


def normalise(values: list[float]) -> list[float]:
    """Each value divided by the largest one."""
    out = []
    for v in values:
        out.append(v / max(values))
    return out


def mean(values: list[float]) -> float:
    total = 0.0
    for v in values:
        total += v
    return total / len(values)


def variance(values: list[float]) -> float:
    m = mean(values)
    return sum([(v - m) ** 2 for v in values]) / len(values)


def column_sums(matrix: list[list[float]]) -> list[float]:
    """Sum of every column of a rectangular matrix."""
    sums = []
    for c in range(len(matrix[0])):
        sums.append(sum(matrix[r][c] for r in range(len(matrix))))
    return sums


def trace(matrix: list[list[float]]) -> float:
    total = 0
    for i in range(len(matrix)):
        total += matrix[i][i]
    return total
