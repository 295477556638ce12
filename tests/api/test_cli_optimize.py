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


def test_json_of_one_module_is_the_body_post_optimize_returns(sqlite_settings, monkeypatch,
                                                               capsys) -> None:
    import io

    from api.app import create_app

    monkeypatch.setattr("sys.stdin", io.StringIO(CLEAN))
    assert main(["optimize", "-", "--no-llm", "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    api = create_app(sqlite_settings).test_client().post("/optimize", json={"code": CLEAN}).get_json()
    for body in (cli, api):
        body.pop("processing_time_seconds")
        body.pop("record_id")
    assert cli == api


def test_non_python_file_is_a_usage_error(sqlite_settings, tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("hi")
    assert main(["optimize", str(tmp_path / "notes.txt")]) == 2
    assert "not a Python file" in capsys.readouterr().err


# --function, --objective-weights, --format diff, --apply -------------------------------

TWO = (
    '"""Two slow functions."""\n'
    "import math\n\n\n"
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\n\n"
    "def trib(n):\n    if n < 3:\n        return 1\n    return trib(n - 1) + trib(n - 2) + trib(n - 3)\n\n\n"
    "fib(18)\ntrib(14)\n"
)


def _load(path: Path, name: str):  # noqa: ANN202 - a module
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rule_rewrites(code: str) -> list[tuple[str, list[str]]]:
    """What the rules propose for ``code`` (no sandbox): (whole module, functions)."""
    from core.analysis import analyze_source
    from core.rules import propose_rewrites

    return [(c.optimized_code, c.target_functions)
            for c in propose_rewrites(code, analyze_source(code, "m.py"), action_order=["caching_strategy"])]


def _outcome(code: str, rewrites: list[tuple[str, list[str]]], status: str = "validated"):  # noqa: ANN202
    """An OptimizeOutcome as the pipeline returns it, without running the sandbox."""
    from core.analysis import analyze_source
    from core.optimize.pipeline import OptimizeOutcome, unified_diff

    suggestions, modules = [], {}
    for i, (new, functions) in enumerate(rewrites):
        sid = f"s{i}"
        suggestions.append({
            "suggestion_id": sid, "category": "caching_strategy", "validation_status": status,
            "expected_runtime_delta_pct": -90.0, "expected_memory_delta_pct": 1.0,
            "patch_diff": unified_diff(code, new),
            "evidence": {"functions": functions, "rule_id": "VXR001", "speedup": 10.0 - i,
                         "calls_compared": 5, "tests_run": []},
        })
        modules[sid] = new
    return OptimizeOutcome(suggestions=suggestions, attempts=[], analysis=analyze_source(code, "m.py"),
                           policy={}, llm_provider=None, llm_model=None, processing_time_seconds=0.0,
                           extras={"source": code, "rewrites": modules, "verify": {}})


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """A folder holding only the modules a test writes (settings put files in tmp_path)."""
    folder = tmp_path / "src"
    folder.mkdir()
    return folder


@pytest.fixture
def fake_pipeline(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """``fake_pipeline(status=..., after_read=...)``: ``optimize_file`` answers with the rules'
    rewrites of the file as suggestions (no sandbox); ``after_read(path)`` runs once it has
    read the file; with ``function_name``, a module without that name in it is an
    UnknownFunctionError. Returns the options each call got."""
    from core.optimize import pipeline

    calls: list[dict] = []

    def install(status: str = "validated", after_read=None):  # noqa: ANN001, ANN202
        def fake(path, *, settings=None, progress=None, **options):  # noqa: ANN001, ANN202, ARG001
            calls.append(options)
            code = Path(path).read_text(encoding="utf-8")
            name = options.get("function_name")
            if name and f"def {name}(" not in code:
                raise pipeline.UnknownFunctionError(f"no function named {name!r} in {path}")
            if after_read:
                after_read(Path(path))
            return _outcome(code, _rule_rewrites(code), status)

        monkeypatch.setattr(pipeline, "optimize_file", fake)
        return calls

    return install


@pytest.mark.slow
def test_function_restricts_the_candidates(sqlite_settings, tmp_path: Path, capsys) -> None:
    (tmp_path / "two.py").write_text(TWO)
    assert main(["optimize", str(tmp_path / "two.py"), "--no-llm", "--function", "trib",
                 "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["attempts"] and all("trib" in a["functions"] for a in result["attempts"])
    assert [s["evidence"]["functions"] for s in result["suggestions"]] == [["trib"]]


@pytest.mark.parametrize("where", ["file", "tree", "stdin"])
def test_unknown_function_is_a_usage_error(sqlite_settings, tmp_path: Path, where, monkeypatch,
                                           capsys) -> None:
    (tmp_path / "two.py").write_text(TWO)
    (tmp_path / "clean.py").write_text(CLEAN)
    path = {"file": str(tmp_path / "two.py"), "tree": str(tmp_path), "stdin": "-"}[where]
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(TWO))
    assert main(["optimize", path, "--no-llm", "--function", "fibonacci"]) == 2
    err = capsys.readouterr().err.strip()
    assert "fibonacci" in err and len(err.splitlines()) == 1
    if where != "tree":
        assert "fib, trib" in err  # names what the module has


def test_function_in_a_tree_optimizes_only_the_modules_defining_it(
        sqlite_settings, src: Path, fake_pipeline, capsys) -> None:
    (src / "two.py").write_text(TWO)
    (src / "clean.py").write_text(CLEAN)
    calls = fake_pipeline()
    assert main(["optimize", str(src), "--function", "fib", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert [Path(r["file_path"]).name for r in json.loads(captured.out)] == ["two.py"]
    assert "defined in 1 of 2 modules" in captured.err
    assert [c["function_name"] for c in calls] == ["fib", "fib"]


@pytest.mark.parametrize("text, weights", [
    ("runtime=0.8,memory=0.2", {"runtime": 0.8, "memory": 0.2}),
    (" memory = 3 , runtime = 1 ", {"runtime": 1.0, "memory": 3.0}),
    ("runtime=1", {"runtime": 1.0, "memory": 0.0}),
    ("memory=0.5,runtime=0", {"runtime": 0.0, "memory": 0.5}),
])
def test_objective_weights_are_parsed_and_passed_on(sqlite_settings, tmp_path: Path, fake_pipeline,
                                                    text, weights, capsys) -> None:
    (tmp_path / "clean.py").write_text(CLEAN)
    calls = fake_pipeline()
    assert main(["optimize", str(tmp_path / "clean.py"), "--objective-weights", text]) == 0
    assert calls[0]["objective_weights"] == weights


@pytest.mark.parametrize("text, message", [
    ("runtime", "'runtime' is not key=value"),
    ("runtime=0.8,", "'' is not key=value"),
    ("speed=1", "unknown key 'speed'"),
    ("runtime=fast", "runtime=fast is not a number"),
    ("runtime=-1,memory=1", "must be a finite number >= 0"),
    ("runtime=nan", "must be a finite number >= 0"),
    ("runtime=inf", "must be a finite number >= 0"),
    ("runtime=1,runtime=2", "runtime is given twice"),
    ("runtime=0,memory=0", "must not both be 0"),
])
def test_bad_objective_weights_exit_2(sqlite_settings, tmp_path: Path, text, message, capsys) -> None:
    (tmp_path / "clean.py").write_text(CLEAN)
    assert main(["optimize", str(tmp_path / "clean.py"), f"--objective-weights={text}"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_objective_weights_never_crash() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from api.cli import UsageError
    from api.cli.optimize import parse_objective_weights

    @given(st.text(alphabet="runtimemory=,.-0123456789e ", max_size=40) | st.text(max_size=20))
    def check(text: str) -> None:
        try:
            weights = parse_objective_weights(text)
        except UsageError as exc:
            assert str(exc).startswith("--objective-weights: ")
            return
        assert set(weights) == {"runtime", "memory"}
        assert min(weights.values()) >= 0 and sum(weights.values()) > 0

    check()


@pytest.mark.slow
def test_diff_applies_with_patch(sqlite_settings, tmp_path: Path, capsys) -> None:
    import shutil
    import subprocess

    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "fibmod.py").write_text(FIB)
    (root / "pkg" / "clean.py").write_text(CLEAN)
    assert main(["optimize", str(root), "--no-llm", "--format", "diff", "--max-suggestions", "1"]) == 0
    captured = capsys.readouterr()
    assert "--- a/pkg/fibmod.py\n+++ b/pkg/fibmod.py\n" in captured.out
    assert "clean.py" not in captured.out  # nothing for a module without suggestions
    assert "1 diff(s) for 1 of 2 module(s)" in captured.err
    if shutil.which("patch") is None:
        pytest.skip("no patch command")
    subprocess.run(["patch", "-p1", "--batch"], input=captured.out, text=True, cwd=root, check=True)
    patched = (root / "pkg" / "fibmod.py").read_text()
    assert "lru_cache" in patched and _load(root / "pkg" / "fibmod.py", "fib_patched").fib(20) == 6765


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_diff_of_a_file_without_final_newline_applies(sqlite_settings, src: Path, fake_pipeline,
                                                      newline, capsys) -> None:
    import shutil
    import subprocess

    if shutil.which("patch") is None:
        pytest.skip("no patch command")
    module = src / "fibmod.py"
    code = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)"  # the hunk's last line
    module.write_bytes(code.replace("\n", newline).encode())
    fake_pipeline()
    assert main(["optimize", str(module), "--format", "diff"]) == 0
    diff = capsys.readouterr().out
    assert diff.startswith("# fibmod.py: VXR001 on fib") and "\\ No newline at end of file" in diff
    subprocess.run(["patch", "-p1", "--batch"], input=diff.encode(), cwd=src, check=True)
    patched = module.read_bytes()
    assert patched.endswith(b"fib(n - 2)") and b"lru_cache" in patched
    assert patched.count(newline.encode()) == patched.count(b"\n")  # line endings kept


@pytest.mark.slow
def test_apply_writes_a_module_that_behaves_the_same(sqlite_settings, src: Path, capsys) -> None:
    module = src / "two.py"
    module.write_text(TWO)
    module.chmod(0o750)
    before = _load(module, "two_before")
    assert main(["optimize", str(module), "--no-llm", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "written back" in out and "1 file(s) written" in out
    after = _load(module, "two_after")
    assert after.fib(22) == before.fib(22) and after.trib(16) == before.trib(16)
    # both memoizations, merged into one module and verified again
    assert hasattr(after.fib, "cache_info") and hasattr(after.trib, "cache_info")
    assert "2 rewrites merged, verified again" in out
    assert module.stat().st_mode & 0o777 == 0o750
    assert not list(src.glob(".two.py.*"))  # no temporary file left


def test_apply_leaves_the_file_alone_when_nothing_validated(sqlite_settings, src: Path,
                                                            fake_pipeline, capsys) -> None:
    module = src / "fibmod.py"
    module.write_text(FIB)
    stamp = module.stat().st_mtime_ns
    fake_pipeline(status="skipped")
    assert main(["optimize", str(module), "--apply"]) == 0
    out = capsys.readouterr().out
    assert "nothing validated: file left as it was" in out and "0 file(s) written" in out
    assert "not applied: fibmod.py: VXR001 on fib: not validated (skipped)" in out
    assert module.read_text() == FIB and module.stat().st_mtime_ns == stamp


def test_apply_with_no_candidate_writes_nothing(sqlite_settings, project: Path, capsys) -> None:
    clean = project / "clean.py"
    stamp = clean.stat().st_mtime_ns
    assert main(["optimize", str(clean), "--no-llm", "--apply"]) == 0
    assert "0 file(s) written" in capsys.readouterr().out
    assert clean.read_text() == CLEAN and clean.stat().st_mtime_ns == stamp


def test_apply_refuses_a_file_changed_since_it_was_read(sqlite_settings, src: Path, fake_pipeline,
                                                        capsys) -> None:
    module = src / "fibmod.py"
    module.write_text(FIB)
    edited = FIB + "\nEDITED = True\n"
    fake_pipeline(after_read=lambda path: path.write_text(edited))
    assert main(["optimize", str(module), "--apply", "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["suggestions"]
    assert "not written: fibmod.py: changed on disk since it was read" in captured.err
    assert module.read_text() == edited
    assert [p.name for p in src.iterdir()] == ["fibmod.py"]


def test_apply_is_atomic_when_the_rename_fails(sqlite_settings, src: Path, fake_pipeline,
                                               monkeypatch, capsys) -> None:
    module = src / "fibmod.py"
    module.write_text(FIB)
    fake_pipeline()

    def broken_replace(src, dst):  # noqa: ANN001, ANN202, ARG001
        raise OSError("disk on fire")

    monkeypatch.setattr("os.replace", broken_replace)
    assert main(["optimize", str(module), "--apply"]) == 1
    assert "not written: fibmod.py: cannot write: disk on fire" in capsys.readouterr().out
    assert module.read_text() == FIB
    assert [p.name for p in src.iterdir()] == ["fibmod.py"]  # the temporary file is gone


@pytest.mark.parametrize("verdict", ["validated", "not_equivalent"])
def test_apply_merges_disjoint_rewrites_only_when_the_merge_verifies(
        sqlite_settings, src: Path, fake_pipeline, monkeypatch, verdict, capsys) -> None:
    from core.verify import VerificationResult

    module = src / "two.py"
    module.write_text(TWO)
    fake_pipeline()
    checked: list[tuple[str, list[str]]] = []

    def verify(original, candidate, functions, **kwargs):  # noqa: ANN001, ANN202, ARG001
        checked.append((candidate, list(functions)))
        return VerificationResult(validation_status=verdict, reason="differs on fib(3)", speedup=50.0)

    monkeypatch.setattr("core.verify.verify_and_measure", verify)
    assert main(["optimize", str(module), "--apply"]) == 0
    out = capsys.readouterr().out
    written = module.read_text()
    [(merged, functions)] = checked
    assert sorted(functions) == ["fib", "trib"]
    assert merged.count("@lru_cache(maxsize=None)") == 2 and merged.count("from functools import") == 1
    if verdict == "validated":
        assert written == merged and "50.0×" in out
    else:  # the best one alone; the other is listed with the reason
        assert written.count("@lru_cache") == 1 and "@lru_cache(maxsize=None)\ndef fib" in written
        assert "not applied: two.py: VXR001 on trib: merged module not_equivalent: differs on fib(3)" in out


@pytest.mark.parametrize("args, message", [
    (["--apply", "--no-validation"], "--apply writes validated rewrites only"),
    (["--function", " "], "--function needs a function name"),
])
def test_flag_combinations_that_are_usage_errors(sqlite_settings, project: Path, args, message,
                                                 capsys) -> None:
    assert main(["optimize", str(project / "clean.py"), *args]) == 2
    assert message in capsys.readouterr().err


def test_apply_to_stdin_is_a_usage_error(sqlite_settings, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(FIB))
    assert main(["optimize", "-", "--apply"]) == 2
    assert "not '-'" in capsys.readouterr().err


@pytest.mark.slow
def test_function_points_the_llm_at_that_function(configure_settings, monkeypatch, capsys) -> None:
    """Left to itself the LLM is asked about pairs (the most findings, and the rules'
    candidates are mostly for it); with --function fib it is asked about fib (its fib
    rewrite would not splice into pairs), and nothing but fib is verified."""
    import io
    import uuid

    from core.storage.migrate import upgrade_database
    from tests.core.llm.conftest import FakeOpenAIServer

    server = FakeOpenAIServer(api_key="sk-or-cli-test").start()
    try:
        settings = configure_settings(OPENROUTER_API_KEY=server.api_key, OPENROUTER_BASE_URL=server.base_url,
                                      LLM_TIMEOUT_SECONDS=10, REDIS_KEY_PREFIX=f"velox-test-{uuid.uuid4().hex}")
        upgrade_database(settings.database_url, quiet=True)
        cached = "from functools import cache\n\n\n@cache\n" + FIB.split("\n\nfib(20)")[0] + "\n"
        server.responder = lambda model, body, headers: {"content": json.dumps({"candidates": [
            {"code": cached, "explanation": "memoize", "action_type": "caching_strategy"}]})}
        code = ("def pairs(a, b):\n    out = []\n    for x in a:\n        for y in b:\n"
                "            if x in b:\n                out.append(x)\n    out.sort()\n    seen = []\n"
                "    for x in out:\n        if x not in seen:\n            seen.append(x)\n    s = ''\n"
                "    for x in seen:\n        s += str(x)\n    return s\n\n\n"
                + FIB + "pairs(list(range(30)), list(range(30)))\n")
        monkeypatch.setattr("sys.stdin", io.StringIO(code))
        assert main(["optimize", "-", "--function", "fib", "--format", "json"]) == 0
    finally:
        server.stop()
    result = json.loads(capsys.readouterr().out)
    assert server.requests
    assert result["llm_provider"] == "openrouter"
    assert {a["rule_id"][:4] for a in result["attempts"]} == {"VXR0", "llm:"}
    assert all(a["functions"] == ["fib"] for a in result["attempts"]), result["attempts"]
