"""The analyzer on good and bad input: one FileAnalysis per file, errors never raise."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.analysis import FileAnalysis, analyze_file, analyze_source, decode_source
from core.analysis.model import Finding

BUBBLE = '''\
"""Slow sorting."""


def bubble_sort(arr):
    n = len(arr)
    for i in range(n):
        swapped = False
        for j in range(0, n - i - 1):
            if arr[j] > arr[j + 1]:
                arr[j], arr[j + 1] = arr[j + 1], arr[j]
                swapped = True
        if not swapped:
            break
    return arr


def is_sorted(arr):
    return all(arr[i] <= arr[i + 1] for i in range(len(arr) - 1))


class Sorter:
    def sort(self, arr):
        return bubble_sort(arr)
'''


def test_bubble_sort_file():
    a = analyze_source(BUBBLE, "slow_sort.py")
    assert a.error is None
    assert [f.detector_id for f in a.findings] == ["VX104"]
    assert a.functions == 3 and a.classes == 1
    assert a.lines_of_code == len(BUBBLE.splitlines())
    assert a.max_loop_depth == 2
    assert a.max_cyclomatic_complexity == 5
    # the guide's example file scores complexity 85 / maintainability 45
    assert 80 <= a.complexity_score <= 90
    assert 40 <= a.maintainability_score <= 70
    names = [f.name for f in a.function_metrics]
    assert names == ["bubble_sort", "is_sorted", "Sorter.sort"]


def test_recursion_is_flagged_in_function_metrics():
    a = analyze_source("def f(n):\n    return 1 if n < 1 else f(n - 1)\n\ndef g():\n    return 1\n")
    assert [(f.name, f.is_recursive) for f in a.function_metrics] == [("f", True), ("g", False)]


def test_plain_code_scores_low_and_has_no_findings():
    a = analyze_source("def add(a, b):\n    return a + b\n")
    assert a.findings == [] and a.complexity_score == 0.0


@pytest.mark.parametrize(
    "source, expected",
    [
        ("def f(:\n", "syntax error"),
        ("print 'python 2'\n", "syntax error"),
        ("x = 1\x00\n", "binary file"),
    ],
)
def test_unparsable_source_is_an_error_not_an_exception(source, expected):
    a = analyze_source(source, "bad.py")
    assert a.error is not None and a.error.startswith(expected)
    assert a.findings == [] and a.complexity_score == 0 and a.lines_of_code == 0


def test_deep_nesting_is_an_error():
    source = "x = " + "(" * 300 + "1" + ")" * 300 + "\n"
    a = analyze_source(source)
    assert a.error is not None


def test_file_errors(tmp_path: Path):
    (tmp_path / "latin.py").write_bytes("# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n".encode("latin-1"))
    (tmp_path / "bad.py").write_bytes(b"s = '\xff\xfe'\n")
    (tmp_path / "bin.py").write_bytes(b"\x00\x01\x02")
    (tmp_path / "big.py").write_text("x = 1\n" * 100)
    assert analyze_file(tmp_path / "latin.py").error is None
    assert analyze_file(tmp_path / "bad.py").error == "not valid utf-8 text"
    assert analyze_file(tmp_path / "bin.py").error == "binary file (contains NUL bytes)"
    big = analyze_file(tmp_path / "big.py", max_bytes=100)
    assert big.error is not None and big.error.startswith("file too large")
    missing = analyze_file(tmp_path / "missing.py")
    assert missing.error is not None and missing.error.startswith("cannot read file")


def test_decode_source_strips_bom_and_rejects_bad_cookie():
    assert decode_source(b"\xef\xbb\xbfx = 1\n") == "x = 1\n"
    with pytest.raises(ValueError):
        decode_source(b"# -*- coding: no-such-codec -*-\nx = 1\n")


def test_display_path_and_metrics_off(tmp_path: Path):
    path = tmp_path / "m.py"
    path.write_text(BUBBLE)
    a = analyze_file(path, display_path="src/m.py", metrics=False)
    assert a.file_path == "src/m.py"
    assert a.metrics_computed is False
    assert a.maintainability_score == 0.0 and a.halstead_volume == 0.0
    assert a.lines_of_code == len(BUBBLE.splitlines())
    assert a.complexity_score > 0 and [f.detector_id for f in a.findings] == ["VX104"]


def test_round_trip_through_dict():
    a = analyze_source(BUBBLE)
    again = FileAnalysis.from_dict(a.to_dict())
    assert again == a
    assert isinstance(again.findings[0], Finding)
