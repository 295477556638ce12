"""scan_path / scan_source: the POST /scan body on real trees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.analysis import scanner
from core.analysis.model import FileAnalysis, Finding
from core.analysis.scanner import ScanError, build_body, discover, scan_path, scan_source

GUIDE_FIELDS = [
    "file_path", "complexity_score", "maintainability_score", "bottlenecks", "opportunities",
    "lines_of_code", "functions", "classes",
]  # fmt: skip


def _by_name(body: dict) -> dict[str, dict]:
    return {Path(e["file_path"]).name: e for e in body["scan_results"]}


def test_discovery_skips_vcs_venvs_builds_and_caches(code_tree: Path):
    assert discover(code_tree) == ["broken.py", "clean.py", "pkg/slow.py", "pkg/sub/medium.py"]
    assert discover(code_tree, "*.txt") == ["notes.txt"]
    assert discover(code_tree, "pkg/*/*.py") == ["pkg/sub/medium.py"]


def test_scan_directory_body(code_tree: Path):
    body = scan_path(code_tree, workers=1)
    assert set(body) == {"scan_results", "summary", "hotspots"}
    entries = _by_name(body)
    assert set(entries) == {"broken.py", "clean.py", "slow.py", "medium.py"}
    for name, entry in entries.items():
        keys = list(entry)
        assert keys[: len(GUIDE_FIELDS)] == GUIDE_FIELDS
        assert keys[len(GUIDE_FIELDS)] == "findings"
        assert keys[len(GUIDE_FIELDS) + 1 :] == (["error"] if name == "broken.py" else [])
    assert entries["slow.py"]["file_path"] == str(code_tree / "pkg" / "slow.py")
    slow = entries["slow.py"]
    assert {f["detector_id"] for f in slow["findings"]} == {"VX104", "VX101"}
    assert all(isinstance(b, str) for b in slow["bottlenecks"] + slow["opportunities"])
    assert any("bubble sort" in b for b in slow["bottlenecks"])
    assert entries["broken.py"]["error"].startswith("syntax error")
    summary = body["summary"]
    assert summary["total_files"] == 4 and summary["files_with_errors"] == 1
    assert summary["high_complexity_threshold"] == scanner.HIGH_COMPLEXITY_THRESHOLD
    ok = [e for e in entries.values() if "error" not in e]
    assert summary["avg_complexity"] == round(sum(e["complexity_score"] for e in ok) / 3, 1)
    assert summary["high_complexity_files"] == sum(
        e["complexity_score"] >= scanner.HIGH_COMPLEXITY_THRESHOLD for e in ok
    )
    json.dumps(body)  # JSON-serialisable as it is


def test_hotspots_are_ranked_by_potential(code_tree: Path):
    hot = scan_path(code_tree, workers=1)["hotspots"]
    assert [Path(h["file_path"]).name for h in hot] == ["slow.py", "medium.py"]
    assert [h["optimization_potential"] for h in hot] == ["high", "medium"]
    assert set(hot[0]) == {"file_path", "complexity_score", "loc", "bottlenecks",
                           "optimization_potential", "potential_score"}
    assert hot[0]["bottlenecks"] == 2 and hot[0]["potential_score"] == 10


def test_test_files_rank_below_code_in_hotspots(tmp_path: Path):
    """Test code is not what a user wants optimized: a medium-potential module outranks
    high-potential test files, and a short hotspot list leaves them out; their findings
    are still reported in scan_results."""
    from tests.core.analysis.conftest import MEDIUM, SLOW

    root = tmp_path / "tests" / "project"  # a test-like folder above the scan root counts not
    tests = ["tests/test_slow.py", "pkg/test_unit.py", "pkg/slow_test.py", "test/helpers.py",
             "conftest.py", "pkg/tests/sub/deep.py"]  # fmt: skip
    for rel in [*tests, "pkg/code.py"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(MEDIUM if rel == "pkg/code.py" else SLOW)
    body = scan_path(root, workers=1)
    hot = [Path(h["file_path"]).relative_to(root).as_posix() for h in body["hotspots"]]
    assert hot[0] == "pkg/code.py"
    assert body["hotspots"][0]["optimization_potential"] == "medium"
    assert sorted(hot[1:]) == sorted(tests)
    assert [h["optimization_potential"] for h in body["hotspots"][1:]] == ["high"] * len(tests)
    reported = {Path(e["file_path"]).relative_to(root).as_posix(): e for e in body["scan_results"]}
    assert all(reported[t]["findings"] for t in tests)
    short = scan_path(root, workers=1, hotspot_limit=1)["hotspots"]
    assert [Path(h["file_path"]).name for h in short] == ["code.py"]


@pytest.mark.parametrize(
    "path, expected",
    [
        ("tests/test_x.py", True), ("test_x.py", True), ("pkg/x_test.py", True),
        ("conftest.py", True), ("pkg/test/util.py", True), ("a/tests/b/c.py", True),
        ("app/tests.py", True), ("pkg/testing.py", False), ("pkg/contest.py", False),
        ("latest/x.py", False), ("pkg/attest_x.py", False), ("src/pytest_plugin.py", False),
    ],
)  # fmt: skip
def test_is_test_file(path: str, expected: bool):
    assert scanner.is_test_file(path) is expected
    assert scanner.is_test_file(path.replace("/", "\\")) is expected


def test_is_test_file_looks_below_the_scan_root():
    assert not scanner.is_test_file("/work/tests/proj/pkg/code.py", root="/work/tests/proj")
    assert scanner.is_test_file("/work/tests/proj/tests/a.py", root="/work/tests/proj")


def test_optimization_potential_levels():
    def fa(sevs, cx=10.0):
        findings = [Finding("VX101", "loop_optimization", s, "t: f", 1, 0, 1, 1) for s in sevs]
        return FileAnalysis("f.py", complexity_score=cx, findings=findings)

    assert scanner.optimization_potential(fa(["high"])) == ("high", 5)
    assert scanner.optimization_potential(fa(["medium", "medium", "low"])) == ("high", 5)
    assert scanner.optimization_potential(fa(["medium"])) == ("medium", 2)
    assert scanner.optimization_potential(fa(["low"])) == ("low", 1)
    assert scanner.optimization_potential(fa([], cx=60)) == ("medium", 0)
    assert scanner.optimization_potential(fa([])) == (None, 0)


def test_filters_and_limits(code_tree: Path):
    only_high = scan_path(code_tree, min_complexity=50, workers=1)
    assert all(e["complexity_score"] >= 50 for e in only_high["scan_results"])
    assert "slow.py" in _by_name(only_high) and "clean.py" not in _by_name(only_high)
    assert only_high["summary"]["total_files"] == 4
    assert only_high["summary"]["files_reported"] == len(only_high["scan_results"])
    two = scan_path(code_tree, max_files=2, workers=1)
    assert two["summary"]["total_files"] == 2 and two["summary"]["truncated"] is True
    assert two["summary"]["files_found"] == 4
    assert set(_by_name(two)) == {"broken.py", "clean.py"}


def test_include_metrics_false_drops_metric_fields(code_tree: Path):
    body = scan_path(code_tree, include_metrics=False, workers=1)
    slow = _by_name(body)["slow.py"]
    assert list(slow) == ["file_path", "bottlenecks", "opportunities", "findings"]
    assert body["summary"]["include_metrics"] is False
    assert body["hotspots"][0]["optimization_potential"] == "high"


def test_single_file_and_source(code_tree: Path):
    body = scan_path(code_tree / "pkg" / "slow.py")
    assert [e["file_path"] for e in body["scan_results"]] == [str(code_tree / "pkg" / "slow.py")]
    src = scan_source("def f(n):\n    return f(n - 1) + f(n - 2)\n")
    (entry,) = src["scan_results"]
    assert entry["file_path"] == "<stdin>" and entry["findings"][0]["detector_id"] == "VX103"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"min_complexity": 101}, "min_complexity"),
        ({"min_complexity": "high"}, "min_complexity"),
        ({"max_files": 0}, "max_files"),
        ({"file_pattern": ""}, "file_pattern"),
    ],
)
def test_bad_input_raises_scan_error(code_tree: Path, kwargs, message):
    with pytest.raises(ScanError, match=message):
        scan_path(code_tree, **kwargs)


def test_missing_path(tmp_path: Path):
    with pytest.raises(ScanError, match="no such file or directory"):
        scan_path(tmp_path / "nope")


_PARALLEL_SCRIPT = """
import json, sys
from core.analysis import scanner
seen = []
def progress(*, phase=None, progress=None, status=None):
    seen.append((phase, progress))
root = sys.argv[1]
assert scanner.use_pool(scanner.PARALLEL_MIN_FILES + 7, 2), "a fresh process must fork a pool"
print(json.dumps({"body": scanner.scan_path(root, workers=2, progress=progress), "seen": seen}))
"""


def test_parallel_scan_matches_sequential_and_reports_progress(tmp_path: Path):
    """The pool only forks from a single-threaded process; other tests leave threads in this
    one (executors, schedulers), so the parallel scan runs in a fresh interpreter."""
    import subprocess
    import sys

    from tests.core.analysis.conftest import MEDIUM, SLOW

    for i in range(scanner.PARALLEL_MIN_FILES + 6):
        (tmp_path / f"m{i:02d}.py").write_text(SLOW if i % 3 else MEDIUM)
    (tmp_path / "zz_broken.py").write_bytes(b"\xff\xfe\x00")
    root = Path(__file__).resolve().parents[3]
    run = subprocess.run([sys.executable, "-c", _PARALLEL_SCRIPT, str(tmp_path)], cwd=root,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)
    parallel, seen = out["body"], [tuple(x) for x in out["seen"]]
    sequential = scan_path(tmp_path, workers=1)
    assert parallel == json.loads(json.dumps(sequential))
    fractions = [p for phase, p in seen if phase == "analyzing"]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert seen[-1][0] == "summarizing"
    assert _by_name(parallel)["zz_broken.py"]["error"] == "binary file (contains NUL bytes)"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.lists(st.sampled_from(["high", "medium", "low"]), max_size=5)), max_size=8),
       st.one_of(st.none(), st.floats(0, 100)))
def test_body_invariants(files, min_cx):
    analyses = [
        FileAnalysis(
            f"f{i}.py",
            complexity_score=round(cx, 1),
            findings=[Finding("VX101", "loop_optimization", s, "t: f", 1, 0, 1, 1) for s in sevs],
        )
        for i, (cx, sevs) in enumerate(files)
    ]
    body = build_body(analyses, min_complexity=min_cx)
    assert body["summary"]["total_files"] == len(analyses)
    assert len(body["scan_results"]) == body["summary"]["files_reported"] <= len(analyses)
    levels = [scanner._LEVELS[h["optimization_potential"]] for h in body["hotspots"]]
    assert levels == sorted(levels, reverse=True)
    assert body["summary"]["total_findings"] == sum(len(a.findings) for a in analyses)


def test_a_folder_named_venv_without_pyvenv_cfg_is_code(tmp_path: Path):
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "__init__.py").write_text("x = 1\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "lib.py").write_text("x = 1\n")
    assert discover(tmp_path) == ["venv/__init__.py"]


def test_no_pool_from_a_threaded_process_or_for_small_scans():
    import threading

    assert not scanner.use_pool(scanner.PARALLEL_MIN_FILES - 1, 4)
    assert not scanner.use_pool(1000, 1)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not scanner.use_pool(1000, 4)
    finally:
        stop.set()
        thread.join()
