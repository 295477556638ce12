"""Verification benchmark: the operations guide's fibonacci example, measured.

Prints what it measured (nothing here is a fixed figure):
- the guide's recursive ``fibonacci`` against the ``@lru_cache`` rewrite at n=25 (the goal:
  validated with a speedup of at least 100x), weights runtime=0.8, memory=0.2;
- the same pair on the inputs Velox finds by itself (generated, n in -5..20);
- an off-by-one rewrite (must be ``not_equivalent``);
- how long each verification took, and the isolation the sandbox enforced.

Run: ``.venv/bin/python bench/bench_verify.py [--budget SECONDS] [--json]``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.settings import load_settings  # noqa: E402
from core.verify import VerifyOptions, verify_and_measure  # noqa: E402

FIB = """def fibonacci(n):
    if n <= 1:
        return n
    return fibonacci(n-1) + fibonacci(n-2)
"""
FIB_CACHED = """from functools import lru_cache

@lru_cache(maxsize=None)
def fibonacci(n):
    if n <= 1:
        return n
    return fibonacci(n-1) + fibonacci(n-2)
"""
FIB_WRONG = FIB.replace("n <= 1", "n <= 2")
WEIGHTS = {"runtime": 0.8, "memory": 0.2}


def run(label: str, candidate: str, options: VerifyOptions, **kw: object) -> dict:
    result = verify_and_measure(FIB, candidate, ["fibonacci"], settings=load_settings(),
                                objective_weights=WEIGHTS, options=options, **kw)
    row = result.to_dict()
    row["case"] = label
    return row


def fmt(value: object, spec: str) -> str:
    if value is None:
        width = spec.split(".")[0].rstrip("df")
        return "-".rjust(int(width)) if width.isdigit() else "-"
    return format(value, spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=2.0, help="timing budget per case (s)")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    args = parser.parse_args()
    base = VerifyOptions(measure_budget_s=args.budget)
    only_25 = VerifyOptions(measure_budget_s=args.budget, generated_per_function=0)
    rows = [
        run("lru_cache, n=25 only", FIB_CACHED, only_25, call_inputs={"fibonacci": [25]}),
        run("lru_cache, found inputs", FIB_CACHED, base),
        run("off-by-one rewrite", FIB_WRONG, base),
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'case':26} {'status':15} {'speedup':>9} {'runtime%':>9} {'memory%':>8} "
          f"{'score':>8} {'loops':>5} {'inputs':>6} {'calls':>5} {'orig ms':>8} "
          f"{'cand us':>8} {'peak B o/c':>13} {'secs':>5}")
    for r in rows:
        orig_ms = r["original_ns"] / 1e6 if r["original_ns"] else None
        cand_us = r["candidate_ns"] / 1e3 if r["candidate_ns"] else None
        peaks = (f"{r['original_peak_bytes']}/{r['candidate_peak_bytes']}"
                 if r["original_peak_bytes"] is not None else "-")
        print(f"{r['case']:26} {r['validation_status']:15} {fmt(r['speedup'], '9.1f')} "
              f"{fmt(r['runtime_delta_pct'], '9.2f')} {fmt(r['memory_delta_pct'], '8.2f')} "
              f"{fmt(r['weighted_score'], '8.2f')} {fmt(r['loops'], '5d')} "
              f"{fmt(r['inputs'], '6d')} {r['calls_compared']:5d} {fmt(orig_ms, '8.2f')} "
              f"{fmt(cand_us, '8.1f')} {peaks:>13} {r['duration_seconds']:5.1f}")
    goal = rows[0]
    ok = goal["validation_status"] == "validated" and (goal["speedup"] or 0) >= 100
    print(f"\ngoal (validated, >=100x at n=25): {'met' if ok else 'NOT met'} "
          f"({goal['validation_status']}, {fmt(goal['speedup'], '.1f')}x)")
    print(f"off-by-one: {rows[2]['validation_status']} ({rows[2]['reason']})")
    print(f"isolation: {', '.join(goal['isolation'])}")
    return 0 if ok and rows[2]["validation_status"] == "not_equivalent" else 1


if __name__ == "__main__":
    sys.exit(main())
