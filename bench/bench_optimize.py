"""Optimization benchmark over the demo corpus (``data/examples``).

Runs the whole pipeline (analysis, policy ranking, rules, sandboxed verification with
each module's own pytest file, measurement) on every module and prints what it measured:
suggestions validated, the geometric-mean speedup of the validated ones, attempts by
status, and wall time per module and per changed function. No LLM is used.

Run: ``.venv/bin/python bench/bench_optimize.py [--corpus DIR] [--json]``
A throw-away SQLite database and feedback file are used, so nothing is recorded in
the project's data/.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(ROOT / "data" / "examples"))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    from core.optimize.pipeline import optimize_file
    from core.settings import load_settings
    from core.storage.migrate import upgrade_database

    work = Path(tempfile.mkdtemp(prefix="velox-bench-"))
    settings = load_settings(
        DATABASE_URL=f"sqlite:///{work / 'bench.db'}",
        TRAINING_DATA_PATH=str(work / "training"),
    )
    upgrade_database(settings.database_url, quiet=True)
    corpus = Path(args.corpus).resolve()
    modules = sorted(p for p in corpus.glob("*.py") if not p.name.startswith("test_"))

    rows = []
    statuses: Counter[str] = Counter()
    speedups: list[float] = []
    functions_changed = 0
    started = time.perf_counter()
    for module in modules:
        t0 = time.perf_counter()
        outcome = optimize_file(module, settings=settings, project_dir=corpus, use_llm=False,
                                max_suggestions=50)
        elapsed = time.perf_counter() - t0
        for attempt in outcome.attempts:
            statuses[attempt["validation_status"]] += 1
            functions_changed += len(attempt["functions"])
        validated = [s for s in outcome.suggestions if s["validation_status"] == "validated"]
        speedups += [s["evidence"]["speedup"] for s in validated if s["evidence"].get("speedup")]
        rows.append({
            "module": module.name,
            "attempts": len(outcome.attempts),
            "validated": len(validated),
            "best_speedup": max((s["evidence"]["speedup"] for s in validated), default=None),
            "seconds": round(elapsed, 2),
        })
    total = time.perf_counter() - started
    geomean = math.exp(sum(map(math.log, speedups)) / len(speedups)) if speedups else None
    figures = {
        "modules": len(modules),
        "attempts": sum(statuses.values()),
        "attempts_by_status": dict(statuses),
        "suggestions_validated": statuses.get("validated", 0),
        "geomean_speedup_validated": round(geomean, 2) if geomean else None,
        "total_seconds": round(total, 1),
        "seconds_per_module": round(total / max(len(modules), 1), 2),
        "seconds_per_function_tried": round(total / max(functions_changed, 1), 2),
        "per_module": rows,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"corpus: {corpus} ({len(modules)} modules)")
    for row in rows:
        best = f"{row['best_speedup']:.2f}x" if row["best_speedup"] else "-"
        print(f"  {row['module']:<24} attempts {row['attempts']:>3}  validated {row['validated']:>2}"
              f"  best {best:>10}  {row['seconds']:>6.1f} s")
    print(f"attempts by status: {dict(statuses)}")
    print(f"suggestions validated: {figures['suggestions_validated']}")
    print(f"geometric-mean speedup of validated suggestions: {figures['geomean_speedup_validated']}x")
    print(f"time: {figures['total_seconds']} s total, {figures['seconds_per_module']} s per module, "
          f"{figures['seconds_per_function_tried']} s per function tried")
    return 0


if __name__ == "__main__":
    sys.exit(main())
