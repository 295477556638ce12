"""Velox on code nobody here wrote: download source distributions from PyPI, run
``velox optimize`` on them as a new user would (no LLM), then apply every validated
suggestion's ``patch_diff`` to a fresh copy and run the package's whole test suite again.

Prints, per package: modules optimized, candidates tried, validated suggestions with
their measured speedups, and whether any test that passes as shipped fails with each one
applied.
Needs PyPI (``pip download``); takes minutes per package on a 2-core machine.

    .venv/bin/python bench/trial_third_party.py                 # the default set
    .venv/bin/python bench/trial_third_party.py inflection==0.5.1
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Package:
    spec: str  # pip requirement, pinned
    target: str  # what to hand to velox optimize, relative to the unpacked sdist
    tests: str  # the package's own test command, run from the unpacked sdist


# Pure-Python packages whose sdists ship a pytest suite (validators: 18 of its tests fail
# as shipped here, for want of optional dependencies; a suggestion must not add to them).
DEFAULT = [
    Package("inflection==0.5.1", "inflection", "python -m pytest -q -p no:cacheprovider test_inflection.py"),
    Package("boltons==26.2.0", "boltons", "python -m pytest -q -p no:cacheprovider tests"),
    Package("intervaltree==3.2.1", "intervaltree", "python -m pytest -q -p no:cacheprovider test"),
    Package("mistune==3.4.0", "src/mistune", "python -m pytest -q -p no:cacheprovider tests"),
    Package("validators==0.36.0", "src/validators", "python -m pytest -q -p no:cacheprovider tests"),
]


def fetch(spec: str, into: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                    spec, "-d", str(into)], check=True)
    archive = next(into.glob("*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return next(p for p in into.iterdir() if p.is_dir())


def run_suite(root: Path, command: str) -> tuple[set[str], str]:
    """The tests that fail (pytest's ``-rfE`` summary lines) and the suite's last line."""
    run = subprocess.run(f"{command} -rfE", shell=True, cwd=root, capture_output=True, text=True,
                         timeout=900)
    lines = run.stdout.strip().splitlines() or ["(no output)"]
    failing = {line.split(" ")[1] for line in lines if line.startswith(("FAILED ", "ERROR "))}
    if run.returncode not in (0, 1):  # collection/usage error: everything counts as failing
        failing.add(f"<exit {run.returncode}>")
    return failing, lines[-1]


def trial(pkg: Package, workdir: Path, velox: list[str]) -> dict:
    src = fetch(pkg.spec, workdir / "download")
    pristine = workdir / "pristine"
    shutil.copytree(src, pristine)
    shipped_failing, summary = run_suite(src, pkg.tests)
    report: dict = {"package": pkg.spec, "suite_as_shipped": summary}
    if any(f.startswith("<exit") for f in shipped_failing):
        return report
    started = time.perf_counter()
    run = subprocess.run([*velox, "optimize", str(src / pkg.target), "--no-llm", "--format", "json"],
                         capture_output=True, text=True, cwd=workdir)
    report["optimize_seconds"] = round(time.perf_counter() - started, 1)
    if run.returncode != 0:
        report["error"] = run.stderr[-2000:]
        return report
    results = json.loads(run.stdout)
    results = results if isinstance(results, list) else [{"file_path": str(src / pkg.target), **results}]
    report["modules"] = len(results)
    report["attempts"] = sum(len(r.get("attempts", [])) for r in results)
    report["validated"] = []
    for result in results:
        for s in result.get("suggestions", []):
            if s["validation_status"] != "validated":
                continue
            ev = s["evidence"]
            module = Path(result["file_path"]).resolve().relative_to(src.resolve())
            copy = workdir / f"applied-{s['suggestion_id']}"
            shutil.copytree(pristine, copy)
            patched = subprocess.run(["patch", "-s", str(copy / module)], input=s["patch_diff"],
                                     capture_output=True, text=True)
            if patched.returncode != 0:
                newly = [f"patch_diff does not apply: {patched.stdout}{patched.stderr}"]
            else:
                failing, last = run_suite(copy, pkg.tests)
                newly = sorted(failing - shipped_failing)
            report["validated"].append({
                "module": str(module), "functions": ev.get("functions"), "rule": ev.get("rule_id"),
                "speedup": ev.get("speedup"), "calls_compared": ev.get("calls_compared"),
                "memory_delta_pct": s["expected_memory_delta_pct"],
                "full_suite_with_it_applied": f"FAILED: {', '.join(newly[:5])}" if newly else
                                              f"nothing newly failing ({last})",
            })
            shutil.rmtree(copy, ignore_errors=True)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", help="pinned specs from the default set (all when omitted)")
    args = parser.parse_args()
    chosen = [p for p in DEFAULT if not args.packages or p.spec in args.packages]
    velox = [str(Path(sys.executable).with_name("velox"))]
    speedups: list[float] = []
    broken = 0
    for pkg in chosen:
        with tempfile.TemporaryDirectory(prefix="velox-trial-") as tmp:
            report = trial(pkg, Path(tmp), velox)
        print(json.dumps(report, indent=2), flush=True)
        validated = report.get("validated", [])
        speedups += [v["speedup"] for v in validated if v["speedup"]]
        broken += sum(v["full_suite_with_it_applied"].startswith("FAILED") for v in validated)
    print(f"suites broken by a validated suggestion: {broken}")
    if speedups:
        geo = math.exp(sum(math.log(x) for x in speedups) / len(speedups))
        print(f"{len(speedups)} validated suggestions across {len(chosen)} packages, "
              f"geometric-mean speedup {geo:.2f}x")
    else:
        print(f"no validated suggestion across {len(chosen)} packages")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
