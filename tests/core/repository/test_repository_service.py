"""Scan and optimize a repository served by a loopback git server; the import graph."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.repository import build_import_graph, optimize_repository, scan_repository
from core.repository.jobs import run_repository_optimize, run_repository_scan

LOOPBACK = ["127.0.0.1"]


def test_scan_at_branch_selects_complex_files(served_repo) -> None:
    body = scan_repository(served_repo.url, "master", min_complexity=0.0, allowed_hosts=LOOPBACK)
    assert body["repository"] == "owner/demo"
    assert body["ref"] == "master" and body["commit"] == served_repo.second_commit
    summary = body["scan_summary"]
    assert summary["total_files"] == 5  # README too
    assert summary["python_files"] == 4
    assert summary["scanned_files"] == 4
    paths = [r["file_path"] for r in body["scan_results"]]
    assert paths[0] == "pkg/slow.py"  # highest complexity first
    scores = [r["complexity_score"] for r in body["scan_results"]]
    assert scores == sorted(scores, reverse=True)
    assert summary["high_complexity_files"] == sum(1 for s in scores if s >= 50)
    hot = body["hotspots"][0]
    assert hot["file_path"] == "pkg/slow.py" and hot["bottlenecks"] >= 2
    assert hot["optimization_potential"] in {"high", "medium"}


def test_scan_honours_max_files_and_min_complexity(served_repo) -> None:
    body = scan_repository(served_repo.url, "master", max_files=1, min_complexity=0.0,
                           allowed_hosts=LOOPBACK)
    assert [r["file_path"] for r in body["scan_results"]] == ["pkg/slow.py"]
    assert body["scan_summary"]["scanned_files"] == 1
    strict = scan_repository(served_repo.url, "master", min_complexity=50.0,
                             allowed_hosts=LOOPBACK)
    assert all(r["complexity_score"] >= 50.0 for r in strict["scan_results"])
    assert "pkg/constants.py" not in [r["file_path"] for r in strict["scan_results"]]
    assert strict["scan_summary"]["python_files"] == 4


def test_scan_at_tag_via_job_function(served_repo) -> None:
    phases = []
    body = run_repository_scan(
        {"repository_url": served_repo.url, "ref": "v1", "min_complexity": 0,
         "allowed_hosts": LOOPBACK},
        lambda **kw: phases.append(kw.get("phase")))
    assert body["ref_kind"] == "tag" and body["scan_summary"]["python_files"] == 2
    assert "cloning" in phases and phases[-1] == "done"


@pytest.mark.parametrize("params,match", [
    ({"ref": "main"}, "repository_url is required"),
    ({"repository_url": "https://github.com/o/r", "bogus": 1}, "unknown repository parameter"),
    ({"repository_url": "file:///tmp/x"}, "repository_url"),
    ({"repository_url": "https://github.com/o/r", "max_files": 0}, "max_files"),
])
def test_job_function_rejects_bad_params(params, match) -> None:
    with pytest.raises(ValueError, match=match):
        run_repository_scan(params, lambda **kw: None)


def test_import_graph_and_cross_file_snippets(tmp_path: Path) -> None:
    (tmp_path / "src" / "lib").mkdir(parents=True)
    (tmp_path / "src" / "lib" / "__init__.py").write_text("")
    (tmp_path / "src" / "lib" / "core.py").write_text(
        "def helper(x):\n    return x * 2\n\n\ndef unused():\n    return 0\n")
    (tmp_path / "src" / "lib" / "a.py").write_text(
        "from .core import helper\n\n\ndef run(v):\n    return helper(v) + 1\n")
    (tmp_path / "src" / "lib" / "b.py").write_text(
        "import lib.core as c\nimport json\n\n\ndef go(v):\n    return c.helper(v)\n"
        "\n\ndef other():\n    return json.dumps(1)\n")
    (tmp_path / "solo.py").write_text("X = 1\n")
    files = ["solo.py", "src/lib/__init__.py", "src/lib/a.py", "src/lib/b.py", "src/lib/core.py"]
    graph = build_import_graph(tmp_path, files)
    assert graph.imported_by["src/lib/core.py"] == {"src/lib/a.py", "src/lib/b.py"}
    assert graph.imports["src/lib/a.py"] == {"src/lib/core.py"}
    assert graph.imported_by_count("solo.py") == 0

    callers = graph.context_snippets("src/lib/core.py")
    assert {(s.relation, s.path, s.name) for s in callers} == {
        ("caller", "src/lib/a.py", "run"), ("caller", "src/lib/b.py", "go")}
    assert "helper(v) + 1" in next(s.code for s in callers if s.name == "run")
    callees = graph.context_snippets("src/lib/b.py")
    assert [(s.relation, s.name) for s in callees] == [("callee", "helper")]
    assert callees[0].code.startswith("def helper(x):")

    groups = graph.groups(["solo.py", "src/lib/a.py", "src/lib/b.py", "src/lib/core.py"])
    assert groups == [["src/lib/a.py", "src/lib/b.py", "src/lib/core.py"], ["solo.py"]]


@pytest.mark.slow
def test_optimize_repository_without_validation(served_repo, sqlite_settings) -> None:
    body = optimize_repository(
        served_repo.url, "master", max_files=4, min_complexity=0.0,
        max_suggestions_per_file=3, enable_cross_file_context=True,
        enable_batch_coordination=True, run_validation=False, use_llm=False,
        allowed_hosts=LOOPBACK, settings=sqlite_settings)
    assert body["repository"] == "owner/demo" and body["clone_path"] is None
    results = {r["file_path"]: r for r in body["optimization_results"]}
    assert set(results) == {"pkg/slow.py", "pkg/uses.py", "pkg/__init__.py", "pkg/constants.py"}
    slow = results["pkg/slow.py"]
    assert slow["status"] == "success" and slow["error"] is None
    assert slow["imported_by"] == ["pkg/uses.py"]
    assert slow["notes"] == ["imported by 1 other module — an optimization here cascades to them"]
    assert {"relation": "caller", "path": "pkg/uses.py", "name": "unique_count"} \
        in slow["context_snippets"]
    assert body["batch_groups"] == [["pkg/slow.py", "pkg/uses.py"], ["pkg/__init__.py"],
                                    ["pkg/constants.py"]]
    assert results["pkg/uses.py"]["context_snippets"][0] == {
        "relation": "callee", "path": "pkg/slow.py", "name": "dedupe"}
    suggestions = slow["suggestions"]
    assert 1 <= len(suggestions) <= 3
    for s in suggestions:
        # Not validated: figures are measured, behaviour was not compared.
        assert s["validation_status"] == "skipped"
        assert isinstance(s["expected_runtime_delta_pct"], float)
    summary = body["summary"]
    assert summary["total_files_processed"] == 4
    assert summary["successful_optimizations"] == 4 and summary["failed_optimizations"] == 0
    assert summary["total_suggestions"] == sum(len(r["suggestions"]) for r in results.values())
    deltas = [s["expected_runtime_delta_pct"] for r in results.values() for s in r["suggestions"]]
    assert summary["avg_expected_improvement_pct"] == pytest.approx(sum(deltas) / len(deltas),
                                                                     abs=0.01)
    assert "run_validation=false" in summary["note"]


def test_optimize_job_reports_failed_files_without_stopping(served_repo, sqlite_settings,
                                                            monkeypatch) -> None:
    # A file that disappears between selection and optimization fails alone.
    import core.optimize.pipeline as pipeline

    def broken(path, **_kw):
        raise OSError(f"cannot read {Path(path).name}")

    monkeypatch.setattr(pipeline, "optimize_file", broken)  # stands in for an unreadable file
    body = run_repository_optimize(
        {"repository_url": served_repo.url, "ref": "master", "min_complexity": 0,
         "max_files": 2, "allowed_hosts": LOOPBACK}, lambda **kw: None)
    assert [r["status"] for r in body["optimization_results"]] == ["failed", "failed"]
    assert body["optimization_results"][0]["error"].startswith("OSError: cannot read")
    assert body["summary"]["failed_optimizations"] == 2
    assert body["summary"]["avg_expected_improvement_pct"] is None


def test_registered_job_kind_runs_through_dispatch(served_repo, sqlite_settings) -> None:
    from tasks.dispatch import submit

    job = submit("repository_scan", {"repository_url": served_repo.url, "ref": "feature",
                                     "min_complexity": 0, "allowed_hosts": LOOPBACK},
                 background=False, settings=sqlite_settings)
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["scan_summary"]["python_files"] == 4
    bad = submit("repository_scan", {"repository_url": served_repo.url, "ref": "nope",
                                     "allowed_hosts": LOOPBACK},
                 background=False, settings=sqlite_settings)
    assert bad["status"] == "failed"
    assert bad["error"].startswith("RepositoryError: ref 'nope' is not a branch")


def test_symlinks_are_never_read(tmp_path: Path, tmp_path_factory) -> None:
    from core.repository.service import count_files, python_files

    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.py").write_text("TOKEN = 'x'\n")
    (tmp_path / "real.py").write_text("A = 1\n")
    (tmp_path / "link.py").symlink_to(outside / "secret.py")
    (tmp_path / "linked_dir").symlink_to(outside, target_is_directory=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert python_files(tmp_path) == ["real.py"]
    assert count_files(tmp_path) == 2  # real.py and the link itself; .git left out
