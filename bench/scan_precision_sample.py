"""Draw findings at random for the hand review recorded in core/analysis/PRECISION.md.

Scans a tree (default: this Python's standard library) with every detector and prints,
for each detector, up to ``--per-detector`` findings chosen with ``--seed``, each with a
few lines of context, for a person to judge (TP / FP / intentional).

Usage::

    .venv/bin/python bench/scan_precision_sample.py [TREE] [--per-detector 2] [--seed 41]
"""

from __future__ import annotations

import argparse
import linecache
import random
import sys
import sysconfig
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.analysis.scanner import scan_path  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--per-detector", type=int, default=2)
    parser.add_argument("--seed", type=int, default=41)
    parser.add_argument("--context", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated detector ids")
    args = parser.parse_args()

    body = scan_path(args.tree)
    by_detector: dict[str, list[dict]] = defaultdict(list)
    for entry in body["scan_results"]:
        for f in entry["findings"]:
            by_detector[f["detector_id"]].append({"file": entry["file_path"], **f})
    wanted = {d for d in args.only.split(",") if d}
    rnd = random.Random(args.seed)
    print(f"{body['summary']['total_files']} files, {body['summary']['total_findings']} findings")
    for detector in sorted(by_detector):
        if wanted and detector not in wanted:
            continue
        found = by_detector[detector]
        for f in rnd.sample(found, min(args.per_detector, len(found))):
            print(f"=== {detector} ({len(found)} in all) {f['file']}:{f['line']} [{f['function']}] {f['title']}")
            for n in range(max(1, f["line"] - args.context), f["end_line"] + 2):
                mark = ">" if f["line"] <= n <= f["end_line"] else " "
                print(f"{n:6d}{mark} {linecache.getline(f['file'], n).rstrip()[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
