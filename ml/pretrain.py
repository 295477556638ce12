"""Offline DQN pretraining (``velox pretrain``), the evaluation gate, and atomic publishing.

:func:`run_pretrain` is the whole command: load the JSONL files, train a Double DQN
(:mod:`ml.dqn`), evaluate on the holdout, compare with the published checkpoint at
``output`` (the gate), publish atomically when it passes, and write
``<stem>_pretrain_summary.json`` beside the checkpoint either way.

**Evaluation gate** (skipped with ``fresh_start``, or when nothing is published yet): the
new model and the published one are evaluated on the same transitions (the holdout, or
the training file when no holdout is given) with the same ``gamma``; the new one is
published only if its mean TD error is lower *and* its action accuracy is at most
:data:`GATE_ACCURACY_TOLERANCE` below the published model's. Metric definitions:
:func:`ml.dqn.evaluate`.

Without ``fresh_start`` an existing compatible checkpoint at ``output`` also seeds the
weights (training continues from it) when its hidden size matches.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from core.actions import NUM_ACTIONS
from core.progress import Progress, no_progress
from ml import checkpoint as ckpt
from ml.state import STATE_DIM
from ml.training_semantics import IncompatibleCheckpointError
from ml.transitions import TransitionArrays, TransitionFormatError, atomic_writer, read_jsonl

GATE_ACCURACY_TOLERANCE = 0.01
#: Conservative (CQL) weight used unless told otherwise; see ml.dqn and the README.
DEFAULT_CQL_ALPHA = 3.0
#: Intra-op threads for CPU training. The matrices are tiny (batch 64 x 256): a second
#: thread gains at most ~1.5x on an idle machine and, when the cores are shared (other
#: workers, other jobs), OpenMP barriers make it ~10x slower (measured here). One it is.
CPU_TRAINING_THREADS = 1

Log = Callable[[str], None]


class PretrainError(ValueError):
    """Pretraining cannot run with these inputs (message is one line saying what to fix)."""


@dataclass(slots=True)
class PretrainConfig:
    """The guide's ``velox pretrain`` flags (same names, same defaults) plus a few extras."""

    train: Path
    output: Path
    holdout: Path | None = None
    epochs: int = 40
    steps_per_epoch: int = 1000
    batch_size: int = 64
    learning_rate: float = 1e-3
    gamma: float = 0.99
    epsilon_start: float = 1.0
    epsilon_end: float = 0.05
    hidden_dim: int = 256
    replay_buffer_size: int = 10_000
    shuffle: bool = False
    fresh_start: bool = False
    seed: int = 42
    # extras (not in the guide's table)
    cql_alpha: float = DEFAULT_CQL_ALPHA
    target_update_interval: int = 500
    huber_delta: float = 10.0
    lr_end: float = 1e-5
    model_version: str | None = None
    device: str = "auto"  # "auto" = CUDA when available, else CPU

    def validate(self) -> None:
        checks = [
            (self.epochs >= 1, "--epochs must be at least 1"),
            (self.steps_per_epoch >= 1, "--steps-per-epoch must be at least 1"),
            (self.batch_size >= 1, "--batch-size must be at least 1"),
            (self.learning_rate > 0, "--learning-rate must be positive"),
            (0 <= self.gamma <= 1, "--gamma must be in [0, 1]"),
            (0 <= self.epsilon_start <= 1, "--epsilon-start must be in [0, 1]"),
            (0 <= self.epsilon_end <= 1, "--epsilon-end must be in [0, 1]"),
            (self.hidden_dim >= 1, "--hidden-dim must be at least 1"),
            (self.replay_buffer_size >= self.batch_size,
             "--replay-buffer-size must be at least --batch-size"),
            (self.cql_alpha >= 0, "--cql-alpha must be >= 0"),
            (self.target_update_interval >= 1, "target_update_interval must be >= 1"),
            (self.huber_delta > 0, "huber_delta must be positive"),
        ]
        for ok, message in checks:
            if not ok:
                raise PretrainError(message)

    def hyperparameters(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("train", "output", "holdout"):
            d[key] = str(d[key]) if d[key] is not None else None
        return d


@dataclass(slots=True)
class PretrainResult:
    output: Path
    model_version: str
    published: bool
    gate: dict[str, Any]
    evaluation: dict[str, Any]
    previous_evaluation: dict[str, Any] | None
    epochs: list[dict[str, Any]] = field(default_factory=list)
    summary_path: Path | None = None
    device: str = "cpu"
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["output"] = str(self.output)
        d["summary_path"] = str(self.summary_path) if self.summary_path else None
        return d


# ------------------------------------------------------------------------------ helpers


def load_transitions(path: str | os.PathLike[str], what: str) -> TransitionArrays:
    try:
        return read_jsonl(path)
    except FileNotFoundError:
        raise PretrainError(f"{what} file not found: {path}") from None
    except TransitionFormatError as exc:
        raise PretrainError(str(exc)) from None


def resolve_device(name: str = "auto") -> Any:
    """CUDA when available (and asked for), else CPU. Initialises CUDA, so call it only
    when training starts (never in a parent process that forks workers)."""
    import torch  # noqa: PLC0415

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise PretrainError("device cuda requested but no CUDA device is available")
    return torch.device(name)


def configure_threads(threads: int = CPU_TRAINING_THREADS) -> None:
    """Set torch's intra-op threads for CPU training (see CPU_TRAINING_THREADS)."""
    import torch  # noqa: PLC0415

    want = max(1, min(os.cpu_count() or 1, threads))
    if torch.get_num_threads() != want:
        torch.set_num_threads(want)


def _eval_dict(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in metrics.items()}


def gate_decision(new: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """The guide's ``evaluation`` block for a new model against the published one."""
    out: dict[str, Any] = {
        "new_model_td_error": new.get("td_error"),
        "new_model_action_accuracy": new.get("action_accuracy"),
        "prev_model_td_error": None,
        "prev_model_action_accuracy": None,
        "td_error_delta_pct": None,
        "gate_passed": True,
        "reason": "no published model to compare with",
    }
    if previous is None:
        return out
    new_td, prev_td = new.get("td_error"), previous.get("td_error")
    new_acc = new.get("action_accuracy") or 0.0
    prev_acc = previous.get("action_accuracy") or 0.0
    out.update(prev_model_td_error=prev_td, prev_model_action_accuracy=previous.get("action_accuracy"))
    if new_td is None or prev_td is None:
        out.update(gate_passed=False, reason="no evaluation transitions")
        return out
    if prev_td:
        out["td_error_delta_pct"] = round(100.0 * (new_td - prev_td) / prev_td, 2)
    td_better = new_td < prev_td
    acc_ok = new_acc >= prev_acc - GATE_ACCURACY_TOLERANCE
    out["gate_passed"] = bool(td_better and acc_ok)
    if out["gate_passed"]:
        out["reason"] = "lower TD error, action accuracy kept"
    elif not td_better:
        out["reason"] = f"TD error {new_td:.3f} is not below the published model's {prev_td:.3f}"
    else:
        out["reason"] = (
            f"action accuracy {new_acc:.1%} is more than {GATE_ACCURACY_TOLERANCE:.0%} below "
            f"the published model's {prev_acc:.1%}"
        )
    return out


def default_model_version() -> str:
    return f"pretrain_{int(time.time())}_{secrets.token_hex(4)}"


# ---------------------------------------------------------------------------- training


def train_offline(
    data: TransitionArrays,
    config: PretrainConfig,
    *,
    device: Any,
    init_state_dict: dict[str, Any] | None = None,
    log: Log = print,
    progress: Progress = no_progress,
) -> tuple[Any, list[dict[str, Any]]]:
    """Train a Double DQN on ``data``; return (online network, per-epoch stats)."""
    import torch  # noqa: PLC0415

    from ml.dqn import DoubleDQN, DQNConfig, QNetwork, pack  # noqa: PLC0415

    n = len(data)
    torch.manual_seed(config.seed)
    order = np.random.default_rng(config.seed).permutation(n) if config.shuffle else None
    arrays = data.take(order) if order is not None else data
    buffer = pack(arrays.states, arrays.actions, arrays.rewards, arrays.next_states,
                  arrays.dones, device)
    online = QNetwork(STATE_DIM, NUM_ACTIONS, config.hidden_dim)
    if init_state_dict is not None:
        online.load_state_dict(init_state_dict)
    online.to(device)
    total = config.epochs * config.steps_per_epoch
    agent = DoubleDQN(online, DQNConfig(
        gamma=config.gamma, learning_rate=config.learning_rate, lr_end=config.lr_end,
        epsilon_start=config.epsilon_start, epsilon_end=config.epsilon_end,
        batch_size=config.batch_size, total_updates=total,
        target_update_interval=config.target_update_interval, cql_alpha=config.cql_alpha,
        huber_delta=config.huber_delta,
    ), STATE_DIM)
    gen = torch.Generator(device=device).manual_seed(config.seed)
    cap = min(config.replay_buffer_size, n)
    stats = []
    batch_shape = (config.batch_size,)
    for epoch in range(config.epochs):
        # FIFO replay window sliding over the dataset: fed (n - cap) / (epochs - 1) per epoch.
        hi = cap + (n - cap) * epoch // max(1, config.epochs - 1)
        lo = hi - cap
        loss_sum = torch.zeros((), device=device)
        for _ in range(config.steps_per_epoch):
            idx = torch.randint(lo, hi, batch_shape, generator=gen, device=device)
            loss_sum += agent.update(buffer[idx])
        avg = float(loss_sum) / config.steps_per_epoch
        row = {"epoch": epoch + 1, "updates": agent.updates, "avg_loss": round(avg, 6),
               "epsilon": round(agent.epsilon(), 6), "buffer_window": [int(lo), int(hi)]}
        stats.append(row)
        log(f"\nEpoch {epoch + 1}/{config.epochs}:\n  - Updates: {agent.updates}\n"
            f"  - Avg loss: {avg:.3f}\n  - Epsilon: {agent.epsilon():.3f}")
        progress(phase="training", progress=(epoch + 1) / config.epochs)
    return agent.online, stats


def evaluate_model(model: Any, data: TransitionArrays, gamma: float, device: Any = "cpu") -> dict[str, Any]:
    """:func:`ml.dqn.evaluate` on numpy transitions."""
    from ml.dqn import evaluate, pack  # noqa: PLC0415

    packed = pack(data.states, data.actions, data.rewards, data.next_states, data.dones, device)
    return _eval_dict(evaluate(model.to(device), packed, STATE_DIM, gamma))


def _format_eval(title: str, ev: dict[str, Any]) -> str:
    def num(v: Any, fmt: str) -> str:
        return "n/a" if v is None else format(v, fmt)

    return (f"\n{title}:\n  - Mean TD error: {num(ev['td_error'], '.3f')}\n"
            f"  - Mean reward: {num(ev['mean_reward'], '.2f')}\n"
            f"  - Action accuracy: {num(ev['action_accuracy'], '.1%')}")


def run_pretrain(
    config: PretrainConfig,
    *,
    log: Log = print,
    progress: Progress = no_progress,
    train_data: TransitionArrays | None = None,
    holdout_data: TransitionArrays | None = None,
) -> PretrainResult:
    """The ``velox pretrain`` command as a function (the CLI and the training job call it).

    ``train_data``/``holdout_data`` skip reading the files when the caller has them.
    Raises PretrainError for bad input; a rejected model is a result, not an error.
    """
    config.validate()
    t0 = time.perf_counter()
    train = train_data if train_data is not None else load_transitions(config.train, "--train")
    log(f"INFO: Loaded {len(train)} training transitions")
    holdout = holdout_data
    if holdout is None and config.holdout is not None:
        holdout = load_transitions(config.holdout, "--holdout")
    if holdout is not None:
        log(f"INFO: Loaded {len(holdout)} holdout transitions")
    if len(train) == 0:
        raise PretrainError("No transitions in the training file; run velox generate-data first")
    if config.batch_size > len(train):
        raise PretrainError(
            f"Replay buffer too small (batch_size > transitions): batch size {config.batch_size}, "
            f"{len(train)} transitions; generate more or pass a smaller --batch-size"
        )
    output = Path(config.output)
    previous = None
    if not config.fresh_start and output.exists():
        try:
            previous = ckpt.load(output)
        except (ckpt.CheckpointError, IncompatibleCheckpointError) as exc:
            raise PretrainError(f"published checkpoint cannot be compared: {exc}") from None
    t_load = time.perf_counter()

    device = resolve_device(config.device)
    if device.type == "cpu":
        configure_threads()
    init = None
    if previous is not None and int(previous["hyperparameters"].get("hidden_dim", -1)) == config.hidden_dim:
        init = previous["state_dict"]
    log("INFO: Starting offline pretraining..." + (" (from the published weights)" if init else ""))
    progress(status="training", phase="training", progress=0.0)
    model, epochs = train_offline(train, config, device=device, init_state_dict=init, log=log,
                                  progress=progress)
    t_train = time.perf_counter()

    progress(status="evaluating", phase="evaluating", progress=None)
    eval_set = holdout if holdout is not None and len(holdout) else train
    evaluation = evaluate_model(model, eval_set, config.gamma, device)
    title = "Holdout Evaluation" if eval_set is holdout else "Evaluation (training set; no holdout)"
    log(_format_eval(title, evaluation))
    prev_eval = None
    if previous is not None:
        prev_eval = evaluate_model(ckpt.build_model(previous), eval_set, config.gamma, device)
        log(_format_eval(f"Published model ({previous.get('model_version')})", prev_eval))
    gate = gate_decision(evaluation, prev_eval)
    t_eval = time.perf_counter()

    version = config.model_version or default_model_version()
    published = bool(gate["gate_passed"])
    if published:
        progress(status="publishing", phase="publishing", progress=None)
        payload = ckpt.make_payload(
            model.state_dict(), model_version=version, hyperparameters=config.hyperparameters(),
            evaluation={**evaluation, "gate": gate},
            training={"train_transitions": len(train), "epochs": epochs[-1:],
                      "device": str(device)},
        )
        ckpt.publish(payload, output)
        log(f"\nModel saved to: {output}")
    else:
        log(f"\nEvaluation gate rejected new model: {gate['reason']}; kept {output}")
    t_save = time.perf_counter()

    result = PretrainResult(
        output=output, model_version=version, published=published, gate=gate,
        evaluation=evaluation, previous_evaluation=prev_eval, epochs=epochs,
        device=str(device),
        seconds={"load": round(t_load - t0, 3), "train": round(t_train - t_load, 3),
                 "evaluate": round(t_eval - t_train, 3), "save": round(t_save - t_eval, 3)},
    )
    result.summary_path = write_summary(result, config, len(train), len(holdout or ()),
                                        previous.get("model_version") if previous else None)
    result.seconds["total"] = round(time.perf_counter() - t0, 3)
    return result


def write_summary(result: PretrainResult, config: PretrainConfig, n_train: int, n_holdout: int,
                  previous_version: str | None) -> Path:
    path = ckpt.summary_path(result.output)
    doc = {
        "model_version": result.model_version,
        "published": result.published,
        "checkpoint": str(result.output),
        "previous_model_version": previous_version,
        "evaluation": result.evaluation,
        "previous_evaluation": result.previous_evaluation,
        "gate": result.gate,
        "config": config.hyperparameters(),
        "data": {"train": str(config.train), "holdout": str(config.holdout) if config.holdout else None,
                 "train_transitions": n_train, "holdout_transitions": n_holdout},
        "epochs": result.epochs,
        "device": result.device,
        "seconds": result.seconds,
    }
    with atomic_writer(path) as fh:
        fh.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return path
