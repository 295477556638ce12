"""Metrics: raw counts equal radon's, MI equals radon's, the score formula's properties."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from radon.complexity import cc_visit
from radon.metrics import mi_visit
from radon.raw import analyze

from core.analysis import analyze_source
from core.analysis import metrics as m

SAMPLES = [
    "",
    "x = 1\n",
    "x = 1",  # no trailing newline
    '"""Module docstring."""\n\n\ndef f(a, b):\n    """Doc."""\n    # comment\n    return a + b  # trailing\n',
    "def g():\n    '''\n    multi\n\n    line\n    '''\n    if x: return 1\n    y = {1: 2}; z = [1][0:1]\n",
    "x = [\n    1,  # one\n\n    # inner comment\n    2,\n]\ns = '''a\n\nb'''\n",
    "class A:\n    a: int = 1\n    def m(self):\n        for i in range(3):\n            pass\n        else:\n            pass\n",
    "x = 1 + \\\n    2\nif (a and\n        b):\n    pass\n",
    "try:\n    1/0\nexcept Exception:\n    pass\nfinally:\n    pass\n",
    "f = lambda x: x\nd = {k: v for k, v in []}\nprint(f'{x:>10}')\n",
    "\n\n# only comments\n# and blanks\n\n",
]
FIXTURES = sorted((Path(__file__).parent / "fixtures" / "detectors").glob("*.py"))


@pytest.mark.parametrize("source", SAMPLES + [p.read_text() for p in FIXTURES])
def test_raw_counts_equal_radon(source: str):
    ours = m.raw_counts(source)
    assert tuple(analyze(source)) == (
        ours.loc, ours.lloc, ours.sloc, ours.comments, ours.multi, ours.blank, ours.single_comments,
    )


def test_raw_counts_on_this_package_equal_radon():
    root = Path(m.__file__).parent
    for name in ("context.py", "facts.py", "sarif.py", "scanner.py"):  # radon's own pass is slow
        path = root / name
        source = path.read_text()
        assert tuple(analyze(source)) == tuple(
            getattr(m.raw_counts(source), f)
            for f in ("loc", "lloc", "sloc", "comments", "multi", "blank", "single_comments")
        ), path


_STATEMENTS = st.sampled_from([
    "x = 1", "# c", "", "y = [1,\n  2]", "s = '''a\nb'''", '"""doc"""', "if x: y = 2",
    "for i in r:\n    pass", "z = {1: 2}  # t", "a = 1; b = 2", "def f():\n    return 1",
    "w = (1 +\n     2)", "t = 'x'  # c", "    ",
])


@settings(max_examples=60, deadline=None)
@given(st.lists(_STATEMENTS, max_size=12))
def test_raw_counts_equal_radon_on_generated_modules(parts: list[str]):
    source = "\n".join(parts) + "\n"
    try:
        ast.parse(source)
    except SyntaxError:
        return
    ours = m.raw_counts(source)
    assert tuple(analyze(source))[:7] == (
        ours.loc, ours.lloc, ours.sloc, ours.comments, ours.multi, ours.blank, ours.single_comments,
    )


@pytest.mark.parametrize("path", FIXTURES[:12], ids=lambda p: p.stem)
def test_maintainability_and_complexity_match_radon(path: Path):
    source = path.read_text()
    analysis = analyze_source(source)
    assert analysis.maintainability_score == round(mi_visit(source, True), 1)
    blocks = {(b.lineno, b.name): b.complexity for b in cc_visit(source) if hasattr(b, "closures")}
    ours = {(f.line, f.name.split(".")[-1]): f.cyclomatic_complexity for f in analysis.function_metrics}
    assert blocks.items() <= ours.items()


def test_complexity_score_bounds_and_examples():
    assert m.complexity_score(1, 0, []) == 0.0
    # the bubble-sort shape: CC 5, two nested loops, one high finding
    bubble = m.complexity_score(5, 2, ["high"])
    assert 80 <= bubble <= 90
    assert m.complexity_score(3, 0, []) < 20
    assert 70 <= m.complexity_score(20, 0, []) <= 75


@given(
    cc=st.integers(0, 400),
    depth=st.integers(0, 10),
    sev=st.lists(st.sampled_from(["high", "medium", "low"]), max_size=30),
    extra=st.sampled_from(["high", "medium", "low"]),
)
def test_complexity_score_is_bounded_and_monotone(cc, depth, sev, extra):
    score = m.complexity_score(cc, depth, sev)
    assert 0.0 <= score <= 100.0
    assert m.complexity_score(cc + 1, depth, sev) >= score
    assert m.complexity_score(cc, depth + 1, sev) >= score
    assert m.complexity_score(cc, depth, [*sev, extra]) >= score
    assert not math.isnan(score)


def test_maintainability_of_trivial_code_is_100():
    assert analyze_source("x = 1\n").maintainability_score == 100.0
