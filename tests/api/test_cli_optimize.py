"""``velox optimize``: a tree of modules in process, usage errors, what the table says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main

FIB = "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\nfib(20)\n"
CLEAN = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "fibmod.py").write_text(FIB)
    (root / "clean.py").write_text(CLEAN)
    (root / "test_fibmod.py").write_text(
        "from fibmod import fib\n\ndef test_fib():\n    assert fib(10) == 55\n")
    (root / "tests" / "helpers.py").write_text(FIB)  # test code: never optimized
    return root


@pytest.mark.slow
def test_tree_is_optimized_and_reported_as_json(sqlite_settings, project: Path, capsys) -> None:
    assert main(["optimize", str(project), "--no-llm", "--format", "json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert sorted(Path(r["file_path"]).name for r in results) == ["clean.py", "fibmod.py"]
    fib = next(r for r in results if r["file_path"].endswith("fibmod.py"))
    best = fib["suggestions"][0]
    assert best["category"] == "caching_strategy" and best["validation_status"] == "validated"
    assert best["evidence"]["tests_run"], "test_fibmod.py ran against the patched copy"
    assert fib["llm_provider"] is None


def test_table_says_why_nothing_was_suggested(sqlite_settings, project: Path, capsys) -> None:
    assert main(["optimize", str(project / "clean.py"), "--no-llm"]) == 0
    out = capsys.readouterr().out
    assert "clean.py" in out and "no candidate" in out
    assert "0 validated suggestions" in out


@pytest.mark.parametrize("args, message", [
    (["optimize", "/no/such/path"], "no such file or directory"),
    (["optimize", "--max-suggestions", "0", "."], "--max-suggestions must be at least 1"),
])
def test_usage_errors_exit_2_with_one_line(sqlite_settings, args, message, capsys) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_non_python_file_is_a_usage_error(sqlite_settings, tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("hi")
    assert main(["optimize", str(tmp_path / "notes.txt")]) == 2
    assert "not a Python file" in capsys.readouterr().err
