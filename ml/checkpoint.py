"""Policy checkpoints: what they hold, how they are published, how they are loaded.

A checkpoint is a ``torch.save``'d dict of plain types and tensors (loadable with
``weights_only=True``)::

    format, format_version, model_version, created_at,
    state_dict                 # QNetwork weights (CPU tensors)
    hyperparameters            # the pretraining config, incl. hidden_dim, gamma
    action_types, state_layout # must equal the running code's, or loading fails
    state_dim, num_actions, evaluation, training

Publishing is atomic: the bytes go to a temporary file in the destination folder, are
fsynced, and ``os.replace`` swaps them in. A crash at any point leaves the previous file.
"""

from __future__ import annotations

import io
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.actions import NUM_ACTIONS, PRODUCTION_ACTION_TYPES
from ml.state import STATE_DIM, STATE_LAYOUT
from ml.training_semantics import IncompatibleCheckpointError, check_compatible
from ml.transitions import atomic_writer

FORMAT = "velox-dqn"
FORMAT_VERSION = 1
ACTIVE_NAME = "dqn_model.pth"
SHADOW_NAME = "dqn_model_shadow.pth"


class CheckpointError(ValueError):
    """A checkpoint file cannot be used (unreadable, not ours, or incompatible)."""


def summary_path(checkpoint: str | os.PathLike[str]) -> Path:
    """``<dir>/<stem>_pretrain_summary.json`` beside the checkpoint."""
    p = Path(checkpoint)
    return p.with_name(f"{p.stem}_pretrain_summary.json")


def make_payload(
    state_dict: dict[str, Any],
    *,
    model_version: str,
    hyperparameters: dict[str, Any],
    evaluation: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_version": model_version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
        "hyperparameters": dict(hyperparameters),
        "action_types": list(PRODUCTION_ACTION_TYPES),
        "state_layout": list(STATE_LAYOUT),
        "state_dim": STATE_DIM,
        "num_actions": NUM_ACTIONS,
        "evaluation": evaluation,
        "training": training,
    }


def publish(payload: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a checkpoint atomically (temp file in the same folder, fsync, rename)."""
    import torch  # noqa: PLC0415

    path = Path(path)
    with atomic_writer(path) as fh:
        torch.save(payload, fh)
    return path


def copy_atomic(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> Path:
    """Publish an existing checkpoint file under another name, atomically."""
    dst = Path(dst)
    with open(src, "rb") as fin, atomic_writer(dst) as fout:
        shutil.copyfileobj(fin, fout)
    return dst


def load(path: str | os.PathLike[str], *, check: bool = True) -> dict[str, Any]:
    """Read a checkpoint (CPU tensors). CheckpointError when unreadable or foreign,
    IncompatibleCheckpointError (a CheckpointError's sibling ValueError) when trained on
    another action list or state layout."""
    import torch  # noqa: PLC0415

    path = Path(path)
    try:
        data = path.read_bytes()
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"{path}: not a Velox DQN checkpoint (old architecture?); delete it or retrain "
            "with --fresh-start"
        )
    if check:
        check_compatible(payload["action_types"], payload["state_layout"], what=str(path))
    return payload


def build_model(payload: dict[str, Any]) -> Any:
    """The QNetwork of a loaded checkpoint, in eval mode on the CPU."""
    from ml.dqn import QNetwork  # noqa: PLC0415

    hidden = int(payload["hyperparameters"].get("hidden_dim", 256))
    model = QNetwork(int(payload["state_dim"]), int(payload["num_actions"]), hidden)
    model.load_state_dict(payload["state_dict"])
    return model.eval()


__all__ = [
    "ACTIVE_NAME", "SHADOW_NAME", "CheckpointError", "IncompatibleCheckpointError",
    "build_model", "copy_atomic", "load", "make_payload", "publish", "summary_path",
]
