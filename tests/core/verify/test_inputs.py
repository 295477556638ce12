"""Input discovery from source (no user code runs here) and project layout."""

from __future__ import annotations

import pickle

import pytest

from core.verify.inputs import (
    call_site_inputs,
    changed_functions,
    defined_functions,
    doctest_inputs,
    generated_inputs,
)
from core.verify.project import check_relpath, fill_test_command, find_tests, module_layout

SOURCE = '''
import functools

def fib(n):
    if n <= 1:
        return n
    return fib(n - 1) + fib(n - 2)

def words(text: str, limit: int = 3) -> list[str]:
    """Split text.

    >>> words("a b c d")
    ['a', 'b', 'c']
    >>> sep = " "
    >>> sep.join(words("x y"))
    'x y'
    """
    return text.split()[:limit]

def scale(values: list[float], factor: float | None = None) -> dict[str, int]:
    return {}

def count(xs):
    return len(xs)

def lookup(table):
    return list(table.items())

class Box:
    def get(self):
        return 1

    @staticmethod
    def twice(x: int) -> int:
        return 2 * x

if __name__ == "__main__":
    print(fib(25), words("a b", limit=1))
'''


def _args(inputs):
    return [pickle.loads(i.blob) for i in inputs]


def test_doctest_calls_and_snippets():
    calls, snippets = doctest_inputs(SOURCE, ["words"])
    assert _args(calls) == [(("a b c d",), {})]
    assert [s["source"].strip() for s in snippets["words"]] == [
        'sep = " "', 'sep.join(words("x y"))']


def test_literal_call_sites():
    found = call_site_inputs(SOURCE, ["fib", "words"])
    assert {(i.fn, i.source) for i in found} == {("fib", "call_site"), ("words", "call_site")}
    assert (((25,), {})) in _args(found)
    assert ((("a b",), {"limit": 1})) in _args(found)


def test_generated_from_annotations_are_deterministic_and_typed():
    first = generated_inputs(SOURCE, "words", 15)
    assert _args(first) == _args(generated_inputs(SOURCE, "words", 15))
    assert len(first) >= 10
    for args, kwargs in _args(first):
        text, limit = args
        assert isinstance(text, str) and isinstance(limit, int) and kwargs == {}
    for (values, factor), _ in _args(generated_inputs(SOURCE, "scale", 10)):
        assert isinstance(values, list) and all(isinstance(v, float) for v in values)
        assert factor is None or isinstance(factor, float)


def test_generated_from_usage_when_unannotated():
    ints = [a[0] for a, _ in _args(generated_inputs(SOURCE, "fib", 20))]
    assert all(isinstance(n, int) and -5 <= n <= 20 for n in ints)
    assert all(isinstance(a[0], list) for a, _ in _args(generated_inputs(SOURCE, "count", 5)))
    assert all(isinstance(a[0], dict) for a, _ in _args(generated_inputs(SOURCE, "lookup", 5)))


def test_guessing_can_be_refused_but_annotations_still_generate():
    assert generated_inputs(SOURCE, "fib", 5, allow_guess=False) == []
    assert len(generated_inputs(SOURCE, "words", 5, allow_guess=False)) == 5


def test_no_generated_inputs_for_instance_methods_but_for_static_ones():
    assert generated_inputs(SOURCE, "Box.get", 5) == []
    assert all(isinstance(a[0], int) for a, _ in _args(generated_inputs(SOURCE, "Box.twice", 5)))
    assert generated_inputs(SOURCE, "missing", 5) == []


def test_defined_and_changed_functions():
    assert {"fib", "words", "Box.get", "Box.twice"} <= defined_functions(SOURCE)
    changed = SOURCE.replace("return 2 * x", "return x + x")
    assert changed_functions(SOURCE, changed) == ["Box.twice"]
    assert changed_functions(SOURCE, SOURCE) == []


def test_module_layout_follows_packages(tmp_path):
    (tmp_path / "src" / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "src" / "pkg" / "sub" / "__init__.py").write_text("")
    (tmp_path / "src" / "pkg" / "sub" / "mod.py").write_text("")
    (tmp_path / "top.py").write_text("")
    assert module_layout(tmp_path, "src/pkg/sub/mod.py") == ("pkg.sub.mod", "src")
    assert module_layout(tmp_path, "top.py") == ("top", ".")
    assert module_layout(tmp_path, "bad-name.py")[0] == "velox_target"


@pytest.mark.parametrize("bad", ["../x.py", "/abs/x.py", "x.txt", ""])
def test_bad_module_paths_are_refused(bad):
    with pytest.raises(ValueError):
        check_relpath(bad)


def test_tests_that_import_the_module_fill_the_command(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "geometry.py").write_text("def area(r): return r\n")
    (tmp_path / "tests" / "test_geometry.py").write_text("from geometry import area\n")
    (tmp_path / "tests" / "test_other.py").write_text("import json\n")
    assert find_tests(tmp_path, "geometry.py") == ["tests/test_geometry.py"]
    assert fill_test_command("pytest {path} -x", tmp_path, "geometry.py") == (
        "pytest tests/test_geometry.py -x")
    assert fill_test_command("pytest -q", tmp_path, "geometry.py") == "pytest -q"
    (tmp_path / "lonely.py").write_text("")
    assert fill_test_command("pytest {path}", tmp_path, "lonely.py") == "pytest ."


def test_tests_reaching_a_module_only_through_its_package_are_found(tmp_path):
    # mistune's tests import ``mistune``, never ``mistune.helpers``
    pkg = tmp_path / "src" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .helpers import norm\n")
    (pkg / "helpers.py").write_text("def norm(s): return s.strip()\n")
    (pkg / "direct.py").write_text("X = 1\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_api.py").write_text("import pkg\n")
    (tmp_path / "tests" / "test_direct.py").write_text("from pkg.direct import X\n")
    (tmp_path / "tests" / "test_unrelated.py").write_text("import json\n")
    assert find_tests(tmp_path, "src/pkg/helpers.py") == ["tests/test_api.py", "tests/test_direct.py"]
    # a test naming the module wins: the package-wide ones are not added
    assert find_tests(tmp_path, "src/pkg/direct.py") == ["tests/test_direct.py"]
    assert find_tests(tmp_path, "src/pkg/helpers.py", limit_files=1) == ["tests/test_api.py"]


def test_the_src_of_a_src_layout_project_stands_for_the_project(tmp_path):
    from core.verify.project import above_src

    (tmp_path / "src" / "pkg").mkdir(parents=True)
    assert above_src(tmp_path / "src") == tmp_path / "src"  # no project file: just a folder
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    assert above_src(tmp_path / "src") == tmp_path
    assert above_src(tmp_path / "src" / "pkg") == tmp_path / "src" / "pkg"


def test_generating_inputs_leaves_no_hypothesis_folder_behind(tmp_path, monkeypatch):
    from core.verify.inputs import generated_inputs

    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.chdir(tmp_path)
    calls = generated_inputs("def shout(s: str) -> str:\n    return s.upper()\n", "shout", 5)
    assert calls
    assert not (tmp_path / ".hypothesis").exists()
