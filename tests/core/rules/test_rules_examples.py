"""The demo corpus (``data/examples``) against the rules, for real: every example gets
candidates, and every candidate's module still passes that example's own pytest file when
it replaces the original in a temporary copy.

Each example's candidates run in one subprocess that calls ``pytest.main`` once per
patched copy (clearing the example's modules in between), with third-party pytest plugins
off: starting a fresh interpreter and plugin set per candidate would dominate the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.rules import propose_rewrites

EXAMPLES = Path(__file__).resolve().parents[3] / "data" / "examples"
MODULES = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("test_"))

# Runs in the subprocess: argv[1] = module name, argv[2:] = candidate directories.
RUNNER = textwrap.dedent(
    """
    import io, json, sys, contextlib
    import pytest

    name, dirs = sys.argv[1], sys.argv[2:]
    codes = []
    for d in dirs:
        for mod in (name, "test_" + name):
            sys.modules.pop(mod, None)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = pytest.main(["-q", "-p", "no:cacheprovider", d])
        codes.append((int(rc), out.getvalue()[-1500:]))
    print(json.dumps(codes))
    """
)


def test_corpus_is_big_enough() -> None:
    assert len(MODULES) >= 10
    for module in MODULES:
        assert (EXAMPLES / f"test_{module.name}").exists(), module.name
        funcs = [line for line in module.read_text().splitlines() if line.startswith("def ")]
        assert len(funcs) >= 4, f"{module.name} should be a realistic module, not a one-liner"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.stem)
def test_rules_fire_on_every_example(module: Path) -> None:
    cands = propose_rewrites(module.read_text(), strict=True)
    assert cands, f"no rule fires on {module.name}"
    for cand in cands:
        compile(cand.optimized_code, f"{module.name}:{cand.rule_id}", "exec")
        assert cand.optimized_code != cand.original_code


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.stem)
def test_every_candidate_passes_the_example_tests(module: Path, tmp_path: Path) -> None:
    source = module.read_text()
    tests = (EXAMPLES / f"test_{module.name}").read_text()
    cands = propose_rewrites(source, strict=True)
    versions = [("original", source)] + [
        (f"{c.rule_id} {c.target_functions}", c.optimized_code) for c in cands
    ]
    dirs = []
    for i, (_label, code) in enumerate(versions):
        d = tmp_path / f"v{i}"
        d.mkdir()
        (d / module.name).write_text(code)
        (d / f"test_{module.name}").write_text(tests)
        dirs.append(str(d))
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, module.stem, *dirs],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    codes = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(codes) == len(versions)
    failed = [f"{label}:\n{out}" for (label, _), (rc, out) in zip(versions, codes, strict=True) if rc]
    assert not failed, "\n".join(failed)
