"""``velox pretrain``: offline Double DQN pretraining with holdout evaluation and the gate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from api.cli import UsageError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "pretrain",
        help="pretrain the DQN policy offline on JSONL transitions",
        description="Train the Double DQN policy on generated/real transitions, evaluate it on a "
        "holdout, and publish it only if it beats the published model (unless --fresh-start). "
        "Exit code 1 when the evaluation gate rejects the new model.",
    )
    p.add_argument("--train", required=True, help="training transitions JSONL")
    p.add_argument("--holdout", default=None, help="holdout transitions JSONL (optional)")
    p.add_argument("--output", default=None,
                   help="output checkpoint (default: models/rl_policy/dqn_model.pth, "
                   "i.e. MODEL_CHECKPOINT_PATH/dqn_model.pth)")
    p.add_argument("--epochs", type=int, default=40, help="number of epochs (default: 40)")
    p.add_argument("--steps-per-epoch", type=int, default=1000,
                   help="gradient updates per epoch (default: 1000)")
    p.add_argument("--batch-size", type=int, default=64,
                   help="replay buffer sample size (default: 64)")
    p.add_argument("--learning-rate", type=float, default=0.001,
                   help="initial learning rate, annealed to 1e-5 (default: 0.001)")
    p.add_argument("--gamma", type=float, default=0.99, help="discount factor (default: 0.99)")
    p.add_argument("--epsilon-start", type=float, default=1.0,
                   help="initial exploration rate of the bootstrapped policy (default: 1.0)")
    p.add_argument("--epsilon-end", type=float, default=0.05,
                   help="final exploration rate (default: 0.05)")
    p.add_argument("--hidden-dim", type=int, default=256,
                   help="Q-network hidden layer size (default: 256)")
    p.add_argument("--replay-buffer-size", type=int, default=10_000,
                   help="replay buffer capacity (default: 10000)")
    p.add_argument("--shuffle", action="store_true", help="shuffle transitions before training")
    p.add_argument("--fresh-start", action="store_true",
                   help="ignore the existing checkpoint (no warm start, no evaluation gate)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    p.add_argument("--cql-alpha", type=float, default=None,
                   help="weight of the conservative (CQL) term (default: see README)")
    p.add_argument("--device", default="auto",
                   help="auto (CUDA when available, else CPU), cpu, or cuda[:N]")
    p.set_defaults(handler=handle)


def build_config(args: argparse.Namespace) -> Any:
    from core.settings import get_settings  # noqa: PLC0415
    from ml.checkpoint import ACTIVE_NAME  # noqa: PLC0415
    from ml.pretrain import DEFAULT_CQL_ALPHA, PretrainConfig  # noqa: PLC0415

    output = Path(args.output) if args.output else get_settings().model_dir / ACTIVE_NAME
    return PretrainConfig(
        train=Path(args.train), holdout=Path(args.holdout) if args.holdout else None,
        output=output, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
        batch_size=args.batch_size, learning_rate=args.learning_rate, gamma=args.gamma,
        epsilon_start=args.epsilon_start, epsilon_end=args.epsilon_end,
        hidden_dim=args.hidden_dim, replay_buffer_size=args.replay_buffer_size,
        shuffle=args.shuffle, fresh_start=args.fresh_start, seed=args.seed,
        cql_alpha=DEFAULT_CQL_ALPHA if args.cql_alpha is None else args.cql_alpha,
        device=args.device,
    )


def handle(args: argparse.Namespace) -> int:
    from ml.pretrain import PretrainError, run_pretrain  # noqa: PLC0415

    try:
        config = build_config(args)
        result = run_pretrain(config, log=lambda line: print(line, flush=True))
    except PretrainError as exc:
        raise UsageError(str(exc)) from None
    return 0 if result.published else 1
