"""Every detector against its fixture: lines marked ``# VXnnn`` must fire (a finding of
that detector starting on that line), and nothing else in the file may fire for it —
in particular nothing below ``# --- must not fire ---``, which holds idiomatic code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core.actions import PRODUCTION_ACTION_TYPES
from core.analysis import analyze_source
from core.analysis.detectors import DETECTORS, catalogue, get_detector

FIXTURES = Path(__file__).parent / "fixtures" / "detectors"
SEPARATOR = "# --- must not fire ---"
IDS = [d.id for d in DETECTORS]


def _expected(source: str, detector_id: str) -> tuple[set[int], int]:
    lines = source.splitlines()
    marked = {
        n for n, text in enumerate(lines, 1) if re.search(rf"#\s*{detector_id}\b", text)
    }
    separator_line = next(n for n, text in enumerate(lines, 1) if text.strip() == SEPARATOR)
    return marked, separator_line


def test_catalogue_has_at_least_30_detectors_with_unique_ids():
    assert len(DETECTORS) >= 30
    assert len(set(IDS)) == len(IDS)
    assert all(re.fullmatch(r"VX\d{3}", i) for i in IDS)


@pytest.mark.parametrize("detector", DETECTORS, ids=IDS)
def test_detector_metadata(detector):
    assert detector.action_type in PRODUCTION_ACTION_TYPES
    assert detector.action_type != "no_change"
    assert detector.severity in ("high", "medium", "low")
    assert detector.title and detector.fix
    assert detector.node_types or detector.leave_types
    doc = detector.doc()
    assert doc.startswith(f"{detector.id} {detector.name}:")
    assert "Bad::" in doc and "Good::" in doc
    assert get_detector(detector.id) is detector


@pytest.mark.parametrize("detector_id", IDS)
def test_fixture_fires_exactly_on_marked_lines(detector_id: str):
    path = FIXTURES / f"{detector_id}.py"
    assert path.exists(), f"{detector_id} has no fixture"
    source = path.read_text()
    ast.parse(source)  # fixtures are valid Python
    marked, separator = _expected(source, detector_id)
    assert marked, "a fixture needs cases that must fire"
    assert any(n > separator for n, t in enumerate(source.splitlines(), 1) if t.strip()), (
        "a fixture needs cases that must not fire"
    )
    assert all(n < separator for n in marked)
    analysis = analyze_source(source, str(path))
    assert analysis.error is None
    fired = {f.line for f in analysis.findings if f.detector_id == detector_id}
    assert fired == marked, f"fired on {sorted(fired)}, expected {sorted(marked)}"


@pytest.mark.parametrize("detector_id", IDS)
def test_findings_carry_the_detector_metadata(detector_id: str):
    source = (FIXTURES / f"{detector_id}.py").read_text()
    detector = get_detector(detector_id)
    findings = [f for f in analyze_source(source).findings if f.detector_id == detector_id]
    lines = source.splitlines()
    for f in findings:
        assert f.action_type == detector.action_type
        assert f.message == f"{f.title}: {f.fix}"
        assert (f.end_line, f.end_col) > (f.line, f.col)
        assert 0 <= f.col <= len(lines[f.line - 1])
        assert f.end_col <= len(lines[f.end_line - 1])


def test_catalogue_entries_describe_every_detector():
    entries = catalogue()
    assert [e["id"] for e in entries] == IDS
    assert all(e["doc"] and e["action_type"] for e in entries)


def test_unknown_detector_id():
    with pytest.raises(KeyError, match="VX999"):
        get_detector("VX999")


def test_location_is_exact_and_names_the_function():
    source = "def dedupe(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n"
    (finding,) = [f for f in analyze_source(source).findings if f.detector_id == "VX101"]
    assert (finding.line, finding.col, finding.end_line, finding.end_col) == (4, 11, 4, 24)
    assert finding.function == "dedupe"


def test_columns_are_characters_not_bytes():
    source = (
        "def f(xs):\n    seen = []\n    for x in xs:\n"
        "        é = 'ü'; ok = x not in seen\n"
        "        seen.append(x)\n"
    )
    (finding,) = [f for f in analyze_source(source).findings if f.detector_id == "VX101"]
    line = source.splitlines()[3]
    assert line[finding.col : finding.end_col] == "x not in seen"


def test_methods_get_qualified_names():
    source = (
        "class A:\n    def m(self, xs):\n        out = ''\n"
        "        for x in xs:\n            out += x\n        return out\n"
    )
    (finding,) = analyze_source(source).findings
    assert finding.detector_id == "VX108" and finding.function == "A.m"


def test_a_failing_detector_does_not_cost_the_file_its_analysis(caplog):
    """A detector bug is logged and the other detectors and metrics still run."""
    from core.analysis.analyzer import analyze_source as analyze
    from core.analysis.detectors.base import Detector

    class Broken(Detector):
        id = "VX998"
        name = "broken"
        action_type = "loop_optimization"
        severity = "low"
        title = "t"
        fix = "f"
        node_types = (ast.For,)

        def check(self, node, ctx):
            raise RuntimeError("boom")

    source = (FIXTURES / "VX104.py").read_text()
    analysis = analyze(source, detectors=[Broken(), get_detector("VX104")])
    assert analysis.error is None
    assert {f.detector_id for f in analysis.findings} == {"VX104"}
    assert "VX998" in caplog.text and "boom" in caplog.text
