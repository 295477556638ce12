"""``velox generate-data``: write synthetic (+ legacy + real) transitions as JSONL."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from api.cli import UsageError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "generate-data",
        help="generate multi-step training transitions (JSONL) for offline pretraining",
        description="Generate synthetic multi-step optimization episodes, plus legacy episode "
        "files and real feedback, as JSONL transitions for `velox pretrain`.",
    )
    p.add_argument("--output-jsonl", required=True, help="output JSONL file path")
    p.add_argument("--synthetic-samples", type=int, default=10_000,
                   help="number of synthetic transitions to generate (default: 10000)")
    p.add_argument("--input-dir", default=None,
                   help="directory with legacy episode JSON files (default: TRAINING_DATA_PATH, "
                   "i.e. data/training)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    p.add_argument("--objective-runtime-weight", type=float, default=0.5,
                   help="runtime importance, 0-1 (default: 0.5)")
    p.add_argument("--objective-memory-weight", type=float, default=0.5,
                   help="memory importance, 0-1 (default: 0.5)")
    p.add_argument("--reward-scale", type=float, default=10_000.0,
                   help="reward multiplier (default: 10000.0)")
    p.add_argument("--no-real", action="store_true",
                   help="leave out real transitions (database and feedback file)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from core.settings import get_settings  # noqa: PLC0415
    from ml.generator import generate_dataset  # noqa: PLC0415

    if args.synthetic_samples < 0:
        raise UsageError("--synthetic-samples must be >= 0")
    for flag, value in (("--objective-runtime-weight", args.objective_runtime_weight),
                        ("--objective-memory-weight", args.objective_memory_weight)):
        if not 0 <= value <= 1:
            raise UsageError(f"{flag} must be between 0 and 1, got {value}")
    if args.objective_runtime_weight + args.objective_memory_weight == 0:
        raise UsageError("--objective-runtime-weight and --objective-memory-weight cannot both be 0")
    if not args.reward_scale > 0:
        raise UsageError("--reward-scale must be positive")
    settings = get_settings()
    input_dir = args.input_dir if args.input_dir is not None else settings.training_data_dir
    try:
        summary = generate_dataset(
            args.output_jsonl, synthetic_samples=args.synthetic_samples, input_dir=input_dir,
            seed=args.seed, objective_runtime_weight=args.objective_runtime_weight,
            objective_memory_weight=args.objective_memory_weight, reward_scale=args.reward_scale,
            include_real=not args.no_real, settings=settings,
        )
    except OSError as exc:
        raise UsageError(f"cannot write {args.output_jsonl}: {exc.strerror or exc}") from None
    for line in summary.lines():
        print(line)
    if summary.skipped:
        print(f"Skipped {summary.skipped} legacy/real transitions made for another state layout "
              "or action list", file=sys.stderr)
    if summary.total == 0:
        print("No transitions generated", file=sys.stderr)
        return 1
    return 0
