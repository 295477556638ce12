"""Where ``optimize_file`` runs a module's tests from, for the layouts real packages use
(found trying Velox on toolz, more-itertools and tabulate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.optimize.pipeline import (
    OptimizeRequest,
    _resolve_test_command,
    optimize_file,
    package_root,
)
from core.settings import Settings

CORE = '''from pkg.util import START


def squares(xs):
    out = []
    for x in xs:
        out.append(x * x + START)
    return out
'''
TESTS = '''from pkg.core import squares


def test_squares():
    assert squares(range(400)) == [x * x for x in range(400)]
'''


def _toolz_like(root: Path) -> Path:
    """``root/pkg/{__init__,util,core}.py`` and ``root/pkg/tests/test_core.py``; the package
    __init__ star-imports the module, the module imports its own package by name."""
    pkg = root / "pkg"
    (pkg / "tests").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .core import *\n")
    (pkg / "util.py").write_text("START = 0\n")
    (pkg / "core.py").write_text(CORE)
    (pkg / "tests" / "__init__.py").write_text("")
    (pkg / "tests" / "test_core.py").write_text(TESTS)
    return pkg / "core.py"


def test_package_root_is_above_the_outermost_package(tmp_path: Path) -> None:
    module = _toolz_like(tmp_path)
    (tmp_path / "pkg" / "sub").mkdir()
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "deep.py").write_text("")
    (tmp_path / "script.py").write_text("")
    assert package_root(module) == tmp_path.resolve()
    assert package_root(tmp_path / "pkg" / "sub" / "deep.py") == tmp_path.resolve()
    assert package_root(tmp_path / "pkg") == tmp_path.resolve()
    assert package_root(tmp_path / "script.py") == tmp_path.resolve()
    assert package_root(tmp_path) == tmp_path.resolve()


def test_package_root_never_leaves_the_allowed_roots(tmp_path: Path) -> None:
    # the API confines file_path to ALLOWED_CODE_ROOTS: the copy its tests run in must not
    # reach above the root, even when the root itself is a package
    module = _toolz_like(tmp_path)
    allowed = tmp_path / "pkg"
    assert package_root(module, within=[allowed]) == allowed.resolve()
    assert package_root(module, within=[tmp_path]) == tmp_path.resolve()
    assert package_root(module, within=[tmp_path / "elsewhere"]) == allowed.resolve()


@pytest.mark.parametrize("where", ["pkg/tests", "tests", "test", "pkg"])
def test_the_module_s_test_file_is_found_in_the_usual_places(tmp_path: Path, where: str) -> None:
    (tmp_path / where).mkdir(parents=True, exist_ok=True)
    (tmp_path / where / "test_core.py").write_text("")
    request = OptimizeRequest(code="", project_dir=str(tmp_path), module_relpath="pkg/core.py",
                              unit_test_command="pytest -q {path}")
    command = _resolve_test_command(request, Settings())
    assert command == f"pytest -q {where}/test_core.py"


def test_no_test_file_runs_the_project_or_nothing(tmp_path: Path) -> None:
    explicit = OptimizeRequest(code="", project_dir=str(tmp_path), module_relpath="pkg/core.py",
                               unit_test_command="pytest -q {path}")
    assert _resolve_test_command(explicit, Settings()) == "pytest -q ."
    default = OptimizeRequest(code="", project_dir=str(tmp_path), module_relpath="pkg/core.py")
    assert _resolve_test_command(default, Settings()) is None


@pytest.mark.slow
def test_a_module_inside_a_package_is_verified_with_its_package_s_tests(
    tmp_path: Path, sqlite_settings: Settings
) -> None:
    # before: the project was pkg/ itself, so ``from pkg.util import`` failed in the sandbox
    # and every candidate was skipped; the tests in pkg/tests were never found
    module = _toolz_like(tmp_path)
    outcome = optimize_file(module, settings=sqlite_settings, use_llm=False,
                            unit_test_command="python -m pytest -q -p no:cacheprovider {path}")
    attempts = outcome.to_response()["attempts"]
    assert attempts, "the append loop should give a candidate"
    for attempt in attempts:
        assert "fails to import" not in (attempt["reason"] or ""), attempt
    assert {a["validation_status"] for a in attempts} <= {"validated", "no_speedup"}
    for suggestion in outcome.suggestions:
        evidence = suggestion["evidence"]
        assert evidence["test_command"].endswith("pkg/tests/test_core.py")
        assert evidence["tests_run"] == ["pkg/tests/test_core.py::test_squares"]
    assert module.read_text() == CORE  # the user's file is untouched


def test_a_src_layout_module_runs_from_the_project_root(tmp_path: Path) -> None:
    # mistune, validators: src/<pkg>/ with the tests beside src/, not inside it
    pkg = tmp_path / "src" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "core.py").write_text(CORE)
    assert package_root(pkg / "core.py") == (tmp_path / "src").resolve()  # no project file yet
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    assert package_root(pkg / "core.py") == tmp_path.resolve()
    assert package_root(pkg) == tmp_path.resolve()
    # confined to src/ (ALLOWED_CODE_ROOTS), it stays there
    assert package_root(pkg / "core.py", within=[tmp_path / "src"]) == (tmp_path / "src").resolve()


def test_tests_that_import_the_module_are_run_when_no_test_file_is_named_after_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_api.py").write_text("from pkg.core import squares\n")
    (tmp_path / "tests" / "test_other.py").write_text("import json\n")
    request = OptimizeRequest(code="", project_dir=str(tmp_path), module_relpath="pkg/core.py")
    assert _resolve_test_command(request, Settings(UNIT_TEST_COMMAND="pytest -q {path}")) == (
        "pytest -q tests/test_api.py")


@pytest.mark.slow
def test_a_script_in_a_folder_too_big_to_copy_is_verified_on_its_own(
    tmp_path: Path, sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 'velox optimize ~/script.py' used to fail outright: the home folder is the project
    import core.verify.sandbox as sandbox

    script = tmp_path / "script.py"
    script.write_text("def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n"
                      "\n\nif __name__ == '__main__':\n    print(fib(20))\n")
    monkeypatch.setattr(sandbox, "tree_fits", lambda *a, **k: False)
    outcome = optimize_file(script, settings=sqlite_settings, use_llm=False)
    body = outcome.to_response()
    assert body["notes"] and "too large to copy" in body["notes"][0]
    assert [s["validation_status"] for s in body["suggestions"]] == ["validated"]


def test_tree_fits_counts_what_a_stage_would_copy(tmp_path: Path) -> None:
    from core.verify.sandbox import tree_fits

    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    (tmp_path / ".git").mkdir()
    for i in range(5):
        (tmp_path / ".git" / f"obj{i}").write_text("z")
    (tmp_path / "velox-sbx-other").mkdir()  # a verification running beside this one
    (tmp_path / "velox-sbx-other" / "big.py").write_text("w = 3\n")
    assert tree_fits(tmp_path, max_files=2)  # .git and sandbox folders are never copied
    assert not tree_fits(tmp_path, max_files=1)
    assert not tree_fits(tmp_path, max_bytes=5)
