"""``velox scan``: formats, stdin, filters, and usage errors (exit 2, one line)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from api.cli import main
from core.analysis.scanner import scan_path


def test_json_is_exactly_the_scan_body(code_tree: Path, capsys):
    assert main(["scan", str(code_tree), "--format", "json", "--workers", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == scan_path(code_tree, workers=1)


def test_json_with_filters(code_tree: Path, capsys):
    assert main(["scan", str(code_tree), "--format", "json", "--min-complexity", "50",
                 "--max-files", "3", "--file-pattern", "*.py"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["summary"]["total_files"] == 3
    assert all(e["complexity_score"] >= 50 for e in body["scan_results"])


def test_table(code_tree: Path, capsys):
    assert main(["scan", str(code_tree)]) == 0
    out = capsys.readouterr().out
    assert "slow.py" in out and "bubble sort" in out
    assert "Hotspots" in out and "4 files" in out and "1 not analysed" in out


def test_sarif_to_file(code_tree: Path, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(code_tree)
    target = tmp_path / "out.sarif"
    assert main(["scan", ".", "--format", "sarif", "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    log = json.loads(target.read_text())
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"pkg/slow.py", "pkg/sub/medium.py"}


def test_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("def f(n):\n    return f(n - 1) + f(n - 2)\n"))
    assert main(["scan", "-", "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["scan_results"][0]["file_path"] == "<stdin>"
    assert body["scan_results"][0]["findings"][0]["detector_id"] == "VX103"


@pytest.mark.parametrize(
    "args, message",
    [
        (["scan", "/no/such/dir"], "no such file or directory"),
        (["scan", ".", "--min-complexity", "200"], "--min-complexity"),
        (["scan", ".", "--max-files", "0"], "--max-files"),
        (["scan", ".", "--workers", "0"], "--workers"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_bad_format_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["scan", ".", "--format", "xml"])
    assert exc.value.code == 2
