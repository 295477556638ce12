"""run_scan: the job function behind POST /scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.analysis.jobs import run_scan
from core.settings import load_settings


@pytest.fixture
def settings(code_tree: Path):
    return load_settings(ALLOWED_CODE_ROOTS=str(code_tree.parent), _env_file=None)


def test_run_scan_returns_the_body(code_tree: Path, settings):
    phases = []
    body = run_scan(
        {"directory": str(code_tree), "file_pattern": "*.py", "include_metrics": True,
         "min_complexity": None, "max_files": None},
        lambda **kw: phases.append(kw.get("phase")),
        settings=settings,
    )
    assert body["summary"]["total_files"] == 4
    assert "analyzing" in phases


def test_run_scan_accepts_path_and_limits(code_tree: Path, settings):
    body = run_scan({"path": str(code_tree), "max_files": 1}, settings=settings)
    assert body["summary"]["total_files"] == 1


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "directory"),
        ({"directory": ""}, "directory"),
        ({"directory": "x", "bogus": 1}, "bogus"),
        ({"directory": "x", "include_metrics": "yes"}, "include_metrics"),
        ({"directory": "x", "file_pattern": 3}, "file_pattern"),
    ],
)
def test_bad_params(params, field, settings):
    with pytest.raises(ValueError, match=field):
        run_scan(params, settings=settings)


def test_outside_allowed_roots(tmp_path: Path, code_tree: Path):
    narrow = load_settings(ALLOWED_CODE_ROOTS=str(code_tree / "pkg"), _env_file=None)
    with pytest.raises(ValueError, match="ALLOWED_CODE_ROOTS"):
        run_scan({"directory": str(code_tree)}, settings=narrow)
    with pytest.raises(ValueError, match="ALLOWED_CODE_ROOTS"):
        run_scan({"directory": str(code_tree / "pkg" / ".." / "..")}, settings=narrow)


def test_missing_directory_and_bad_limit(code_tree: Path, settings):
    with pytest.raises(ValueError, match="no such file or directory"):
        run_scan({"directory": str(code_tree / "missing")}, settings=settings)
    with pytest.raises(ValueError, match="max_files"):
        run_scan({"directory": str(code_tree), "max_files": -1}, settings=settings)
