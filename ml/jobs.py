"""The ``train`` job (queue ``gpu``): generate -> split -> train -> evaluate -> gate -> publish.

``run_training(params, progress)`` is what ``POST /train`` runs, on a Celery worker of the
``gpu`` queue (CUDA when present, else CPU) or in process in embedded mode. ``status``
moves through the guide's vocabulary via ``progress``: ``generating``, ``training``,
``evaluating``, ``publishing``; the result's ``status`` is ``completed`` (published) or
``rejected`` (the evaluation gate kept the old model). A crash ends the job ``failed``
(the runner). A job is safe to run again from the start (files named after the job,
fixed seed, atomic publish), so when the worker process running it is killed (the OOM
killer, a crash) its re-delivered message runs it again, up to
``tasks.runner.MAX_ATTEMPTS`` pick-ups, then it fails saying so; when a whole worker
machine is lost, the stale-job sweep fails it — never ``training`` forever. Files are
named after the job id, as in the guide:
``dataset_<id>.jsonl``, ``train_<id>.jsonl``, ``holdout_<id>.jsonl`` under
TRAINING_DATA_PATH; the model is published to MODEL_CHECKPOINT_PATH/dqn_model.pth with
the job id as its ``model_version``.
"""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.progress import Progress, no_progress
from ml import checkpoint as ckpt
from ml.generator import generate_dataset
from ml.pretrain import PretrainConfig, run_pretrain
from ml.transitions import atomic_writer

log = logging.getLogger(__name__)

#: The guide's POST /train fields and their defaults (plus hidden_dim, replay_buffer_size).
TRAIN_DEFAULTS: dict[str, Any] = {
    "synthetic_samples": 10_000,
    "epochs": 40,
    "steps_per_epoch": 1000,
    "batch_size": 64,
    "holdout_fraction": 0.2,
    "learning_rate": 0.001,
    "gamma": 0.99,
    "epsilon_start": 1.0,
    "epsilon_end": 0.05,
    "hidden_dim": 256,
    "replay_buffer_size": 10_000,
    "shuffle": True,
    "fresh_start": False,
    "seed": 42,
}


def training_config(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` over the defaults, unknown keys dropped (the job's ``config``)."""
    return {k: params.get(k, v) if params.get(k) is not None else v for k, v in TRAIN_DEFAULTS.items()}


def split_dataset(dataset: Path, train: Path, holdout: Path, fraction: float, seed: int) -> tuple[int, int]:
    """Shuffle the lines with ``seed`` and write the last ``fraction`` as the holdout."""
    lines = dataset.read_bytes().splitlines(keepends=True)
    order = np.random.default_rng(seed).permutation(len(lines))
    cut = len(lines) - int(round(len(lines) * fraction))
    with atomic_writer(train) as fh:
        fh.write(b"".join(lines[i] for i in order[:cut]))
    with atomic_writer(holdout) as fh:
        fh.write(b"".join(lines[i] for i in order[cut:]))
    return cut, len(lines) - cut


def run_training(params: dict[str, Any], progress: Progress = no_progress,
                 settings: Any = None) -> dict[str, Any]:
    """Run a training job; see the module docstring. Raises on bad params or errors."""
    if settings is None:
        from core.settings import get_settings  # noqa: PLC0415

        settings = get_settings()
    config = training_config(params)
    if not 0 <= float(config["holdout_fraction"]) < 1:
        raise ValueError("holdout_fraction must be in [0, 1)")
    # The runner's progress callback knows the job id; a direct call gets its own id.
    job_id = str(params.get("training_id") or getattr(progress, "job_id", None)
                 or f"train_{int(time.time())}_{secrets.token_hex(4)}")
    data_dir, model_dir = Path(settings.training_data_dir), Path(settings.model_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    artifacts = {
        "model_checkpoint": str(model_dir / ckpt.ACTIVE_NAME),
        "dataset_path": str(data_dir / f"dataset_{job_id}.jsonl"),
        "train_split": str(data_dir / f"train_{job_id}.jsonl"),
        "holdout_split": str(data_dir / f"holdout_{job_id}.jsonl"),
        "summary": str(ckpt.summary_path(model_dir / ckpt.ACTIVE_NAME)),
    }

    progress(status="generating", phase="generating", progress=0.0)
    weights = settings.objective_weights
    generation = generate_dataset(
        artifacts["dataset_path"], synthetic_samples=int(config["synthetic_samples"]),
        input_dir=data_dir, seed=int(config["seed"]), objective_runtime_weight=weights["runtime"],
        objective_memory_weight=weights["memory"], settings=settings,
        progress=lambda **kw: progress(phase="generating", progress=kw.get("progress")),
    )
    n_train, n_holdout = split_dataset(
        Path(artifacts["dataset_path"]), Path(artifacts["train_split"]),
        Path(artifacts["holdout_split"]), float(config["holdout_fraction"]), int(config["seed"]),
    )
    log.info("training job %s: %d train / %d holdout transitions", job_id, n_train, n_holdout)

    pretrain_config = PretrainConfig(
        train=Path(artifacts["train_split"]),
        holdout=Path(artifacts["holdout_split"]) if n_holdout else None,
        output=model_dir / ckpt.ACTIVE_NAME,
        epochs=int(config["epochs"]), steps_per_epoch=int(config["steps_per_epoch"]),
        batch_size=int(config["batch_size"]), learning_rate=float(config["learning_rate"]),
        gamma=float(config["gamma"]), epsilon_start=float(config["epsilon_start"]),
        epsilon_end=float(config["epsilon_end"]), hidden_dim=int(config["hidden_dim"]),
        replay_buffer_size=int(config["replay_buffer_size"]), shuffle=bool(config["shuffle"]),
        fresh_start=bool(config["fresh_start"]), seed=int(config["seed"]), model_version=job_id,
    )
    result = run_pretrain(pretrain_config, log=log.info, progress=progress)
    status = "completed" if result.published else "rejected"
    progress(phase="published" if result.published else "rejected", progress=1.0)
    evaluation = {k: result.gate[k] for k in (
        "new_model_td_error", "new_model_action_accuracy", "prev_model_td_error",
        "prev_model_action_accuracy", "td_error_delta_pct", "gate_passed")}
    evaluation["reason"] = result.gate.get("reason")
    evaluation["new_model_mean_reward"] = result.evaluation.get("mean_reward")
    return {
        "status": status,
        "training_id": job_id,
        "model_version": job_id,
        "config": config,
        "evaluation": evaluation,
        "artifacts": artifacts,
        "data": {"generated": generation.to_dict(), "train_transitions": n_train,
                 "holdout_transitions": n_holdout},
        "device": result.device,
        "seconds": result.seconds,
    }
