"""Course grading: sort marks, rank students, letter grades, class statistics."""

from __future__ import annotations


def sorted_marks(marks: list[int]) -> list[int]:
    """A sorted copy of the marks (ascending); the input is left alone."""
    result = list(marks)
    for i in range(1, len(result)):
        key = result[i]
        j = i - 1
        while j >= 0 and result[j] > key:
            result[j + 1] = result[j]
            j -= 1
        result[j + 1] = key
    return result


def rank_names(names: list[str]) -> list[str]:
    """Sorts the names alphabetically in place (selection sort) and returns them."""
    for i in range(len(names)):
        smallest = i
        for j in range(i + 1, len(names)):
            if names[j] < names[smallest]:
                smallest = j
        names[i], names[smallest] = names[smallest], names[i]
    return names


def letter(mark: int) -> str:
    for bound, grade in ((90, "A"), (80, "B"), (70, "C"), (60, "D")):
        if mark >= bound:
            return grade
    return "F"


def letters(marks: list[int]) -> list[str]:
    out = []
    for m in marks:
        out.append(letter(m))
    return out


def passing_rate(marks: list[int]) -> float:
    """Fraction of marks at or above 60."""
    passed = 0
    for m in marks:
        if m >= 60:
            passed += 1
    return passed / len(marks) if marks else 0.0


def median(marks: list[int]) -> float:
    s = sorted_marks(marks)
    mid = len(s) // 2
    return float(s[mid]) if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
