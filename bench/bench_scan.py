"""Time Velox's full scan against radon's own ``cc``, ``mi`` and ``raw`` commands.

Both sides run as command-line programs on the same files in the same run:
``velox scan TREE --format json`` (all metrics: radon cyclomatic complexity, Halstead
volume, maintainability index, raw counts, plus every detector; process pool over all
cores) and ``velox scan --workers 1`` (one process), against ``radon cc -s``,
``radon mi`` and ``radon raw`` (radon is single-process). Prints each time, radon's total
and the ratio; the goal is Velox <= 0.5x radon's three passes together.

The default tree is the running Python's standard library (without ``site-packages``).
Files larger than ``--max-file-kb`` (default 500) are left out and named: radon's raw
pass is quadratic in the length of a multi-line string, and ``pydoc_data/topics.py``
(757 KB, one string literal) alone keeps ``radon mi``/``radon raw`` busy for many
minutes; ``--max-file-kb 0`` keeps every file. The files are linked into a temporary
tree so that both tools see exactly the same set. The run also checks that Velox's line
counts equal radon's on every file.

Usage::

    .venv/bin/python bench/bench_scan.py [TREE] [--max-file-kb N] [--max-files N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.analysis.scanner import discover  # noqa: E402

BIN = Path(sys.executable).parent


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _timed(name: str, cmd: list[str], out: Path) -> float:
    start = time.perf_counter()
    with out.open("w") as fh:
        subprocess.run(cmd, stdout=fh, stderr=subprocess.DEVNULL, check=True)
    seconds = time.perf_counter() - start
    print(f"  ran {name:<26} {seconds:8.1f} s", flush=True)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--max-file-kb", type=int, default=500)
    parser.add_argument("--max-files", type=int, default=None)
    args = parser.parse_args()

    tree = Path(args.tree).resolve()
    files = discover(tree)
    left_out = []
    if args.max_file_kb:
        keep = []
        for rel in files:
            size = (tree / rel).stat().st_size
            (keep if size <= args.max_file_kb * 1024 else left_out).append(rel)
        files = keep
    if args.max_files:
        files = files[: args.max_files]
    total_bytes = sum((tree / rel).stat().st_size for rel in files)

    print(f"machine: {platform.node()} | {_cpu()} | {os.cpu_count()} cores | Python {platform.python_version()}")
    print(f"tree: {tree}", flush=True)
    print(f"files: {len(files)} ({total_bytes / 1e6:.1f} MB)")
    for rel in left_out:
        print(f"left out (over {args.max_file_kb} KB): {rel} ({(tree / rel).stat().st_size // 1024} KB)")
    if len(files) < 1000:
        print("warning: fewer than 1000 files; the goal is stated for at least 1000")

    work = Path(tempfile.mkdtemp(prefix="velox-bench-"))
    try:
        src = work / "tree"
        for rel in files:
            target = src / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(tree / rel)
        velox = [str(BIN / "velox"), "scan", str(src), "--format", "json"]
        radon = str(BIN / "radon")
        for rel in files:  # warm the page cache so that the first command is not penalised
            (src / rel).read_bytes()
        print(f"load average before: {_load()}", flush=True)
        runs = [
            ("velox scan (all cores)", velox, "velox.json"),
            ("radon cc -s", [radon, "cc", "-s", str(src)], "cc.txt"),
            ("radon mi", [radon, "mi", str(src)], "mi.txt"),
            ("radon raw", [radon, "raw", "-j", str(src)], "raw.json"),
            ("velox scan --workers 1", [*velox, "--workers", "1"], "velox1.json"),
        ]
        times = {name: _timed(name, cmd, work / out) for name, cmd, out in runs}
        print(f"load average after: {_load()}")

        body = json.loads((work / "velox.json").read_text())
        raw = json.loads((work / "raw.json").read_text())
        loc = {e["file_path"]: e["lines_of_code"] for e in body["scan_results"] if "error" not in e}
        compared = same = 0
        for path, counts in raw.items():
            if "loc" in counts and path in loc:
                compared += 1
                same += counts["loc"] == loc[path]
        summary = body["summary"]
        print(
            f"velox: {summary['total_files']} files, {summary['files_with_errors']} not analysed, "
            f"{summary['total_findings']} findings; line counts equal radon's on {same}/{compared} files"
        )
        for name, seconds in times.items():
            print(f"  {name:<26} {seconds:8.1f} s")
        radon_total = times["radon cc -s"] + times["radon mi"] + times["radon raw"]
        print(f"  {'radon cc + mi + raw':<26} {radon_total:8.1f} s")
        parallel = times["velox scan (all cores)"] / radon_total
        single = times["velox scan --workers 1"] / radon_total
        print(f"ratio velox/radon (all cores): {parallel:.3f}")
        print(f"ratio velox/radon (1 process): {single:.3f}")
        print(f"goal velox <= 0.5 x radon: {'met' if parallel <= 0.5 else 'NOT met'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
