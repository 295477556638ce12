"""Active and shadow policies: ranking action types for the optimizer, hot reload, promotion.

* **active** — ``<MODEL_CHECKPOINT_PATH>/dqn_model.pth``, the published checkpoint. The
  optimizer asks it to rank the action types for a file's state and tries candidates in
  that order.
* **shadow** — ``<MODEL_CHECKPOINT_PATH>/dqn_model_shadow.pth``, trained in the background
  on online feedback (:func:`ml.feedback_training.train_shadow`); it never acts, and is
  promoted to active through the evaluation gate (or by force).

Each policy is reloaded when its file changes (inode, size or mtime), checked on every
call with one ``stat``: a model published by a training job on another process is picked
up without restarting the API or the workers. With no usable checkpoint the ranking
falls back to a heuristic from the state's findings columns, and says so
(``model_version == "heuristic"``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.actions import PRODUCTION_ACTION_TYPES
from ml import checkpoint as ckpt
from ml.state import FINDING_ACTIONS, FINDINGS_OFFSET, validate_state

log = logging.getLogger(__name__)

HEURISTIC_VERSION = "heuristic"
POLICIES = ("active", "shadow")


class PolicyError(ValueError):
    """A policy operation cannot be done (message says why)."""


@dataclass(slots=True)
class Ranking:
    """Action types best first; ``scores`` are Q-values (model) or findings strength."""

    actions: list[str]
    scores: list[float]
    model_version: str
    source: str  # "model" | "heuristic"

    def to_dict(self) -> dict[str, Any]:
        return {"actions": self.actions, "scores": self.scores,
                "model_version": self.model_version, "source": self.source}


def heuristic_ranking(state: Sequence[float]) -> Ranking:
    """Actions whose findings column is set, strongest first; then ``no_change``; then the
    rest in taxonomy order. Used when no checkpoint is published."""
    scores = {a: float(state[FINDINGS_OFFSET + j]) for j, a in enumerate(FINDING_ACTIONS)}
    fitting = sorted((a for a in FINDING_ACTIONS if scores[a] > 0),
                     key=lambda a: (-scores[a], PRODUCTION_ACTION_TYPES.index(a)))
    rest = [a for a in PRODUCTION_ACTION_TYPES if a not in fitting and a != "no_change"]
    order = fitting + (["no_change"] if "no_change" in PRODUCTION_ACTION_TYPES else []) + rest
    return Ranking(order, [scores.get(a, 0.0) for a in order], HEURISTIC_VERSION, "heuristic")


@dataclass(slots=True)
class _Slot:
    path: Path
    signature: tuple[int, int, int] | None = None
    model: Any = None
    model_version: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class PolicyManager:
    """Holds the active and shadow policies of one model directory (thread-safe)."""

    def __init__(self, model_dir: str | os.PathLike[str] | None = None, *, settings: Any = None) -> None:
        if model_dir is None:
            if settings is None:
                from core.settings import get_settings  # noqa: PLC0415

                settings = get_settings()
            model_dir = settings.model_dir
        self.settings = settings
        self.model_dir = Path(model_dir)
        self._slots = {
            "active": _Slot(self.model_dir / ckpt.ACTIVE_NAME),
            "shadow": _Slot(self.model_dir / ckpt.SHADOW_NAME),
        }
        self._lock = threading.RLock()

    @property
    def active_path(self) -> Path:
        return self._slots["active"].path

    @property
    def shadow_path(self) -> Path:
        return self._slots["shadow"].path

    # ------------------------------------------------------------------ loading
    def _current(self, which: str) -> _Slot:
        """The slot, reloaded first if its file changed since the last call."""
        slot = self._slots[which]
        sig = _signature(slot.path)
        if sig == slot.signature:
            return slot
        with self._lock:
            if sig == slot.signature:
                return slot
            slot.signature, slot.model, slot.model_version, slot.meta, slot.error = (
                sig, None, None, {}, None)
            if sig is None:
                return slot
            try:
                payload = ckpt.load(slot.path)
                slot.model = ckpt.build_model(payload)
                slot.model_version = str(payload.get("model_version"))
                slot.meta = {k: payload.get(k) for k in ("created_at", "evaluation", "hyperparameters")}
                log.info("loaded %s policy %s from %s", which, slot.model_version, slot.path)
            except FileNotFoundError:
                slot.signature = None
            except ValueError as exc:  # CheckpointError, IncompatibleCheckpointError
                slot.error = str(exc)
                log.warning("%s policy not usable, ranking by heuristic: %s", which, exc)
        return slot

    def model(self, which: str = "active") -> tuple[Any, str | None]:
        """(QNetwork or None, model_version or None) of a policy, reloaded if changed."""
        slot = self._current(which)
        return slot.model, slot.model_version

    def model_version(self, which: str = "active") -> str:
        return self._current(which).model_version or HEURISTIC_VERSION

    # ------------------------------------------------------------------ ranking
    def rank(self, state: Sequence[float], *, policy: str = "active") -> Ranking:
        """Rank all action types for ``state`` (ValueError for a malformed state)."""
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
        s = validate_state(state)
        model, version = self.model(policy)
        if model is None:
            return heuristic_ranking(s)
        q = self.q_values_batch([s], model)[0]
        order = sorted(range(len(q)), key=lambda i: (-q[i], i))
        return Ranking([PRODUCTION_ACTION_TYPES[i] for i in order], [q[i] for i in order],
                       version or HEURISTIC_VERSION, "model")

    def rank_actions(self, state: Sequence[float]) -> list[str]:
        """Action types, best first, by the active policy (heuristic when none is published)."""
        return self.rank(state).actions

    @staticmethod
    def q_values_batch(states: Sequence[Sequence[float]], model: Any) -> list[list[float]]:
        import torch  # noqa: PLC0415

        with torch.inference_mode():
            return model(torch.tensor(states, dtype=torch.float32)).tolist()

    def greedy_actions(self, states: Sequence[Sequence[float]], *, policy: str = "active") -> list[int]:
        """Top-ranked action index per state (heuristic ranking when no model)."""
        if not states:
            return []
        model, _ = self.model(policy)
        if model is None:
            return [PRODUCTION_ACTION_TYPES.index(heuristic_ranking(s).actions[0]) for s in states]
        import torch  # noqa: PLC0415

        with torch.inference_mode():
            return model(torch.tensor(states, dtype=torch.float32)).argmax(1).tolist()

    # ------------------------------------------------------------------ status
    def status(self) -> dict[str, Any]:
        out = {}
        for which in POLICIES:
            slot = self._current(which)
            out[which] = {
                "path": str(slot.path),
                "exists": slot.signature is not None,
                "model_version": slot.model_version or (HEURISTIC_VERSION if which == "active" else None),
                "loaded": slot.model is not None,
                "error": slot.error,
                "created_at": slot.meta.get("created_at"),
                "evaluation": slot.meta.get("evaluation"),
            }
        return out

    # ------------------------------------------------------------------ promotion
    def promote_shadow_to_active(self, force: bool = False) -> dict[str, Any]:
        """Copy the shadow checkpoint over the active one (atomically) if it passes the gate.

        The gate (:func:`ml.pretrain.gate_decision`) compares both policies on the
        shadow's holdout (feedback records it did not train on, written by shadow training)
        or, when that is missing, on all feedback records. ``force`` skips the comparison.
        Raises PolicyError when there is no usable shadow, or no data to judge without force.
        """
        shadow = self._current("shadow")
        if shadow.signature is None:
            raise PolicyError(f"no shadow policy to promote ({shadow.path} does not exist)")
        if shadow.model is None:
            raise PolicyError(f"shadow policy not usable: {shadow.error}")
        result: dict[str, Any] = {"promoted": False, "forced": bool(force),
                                  "shadow_model_version": shadow.model_version,
                                  "previous_active_version": self.model_version("active")}
        if not force:
            evaluation = self._gate(shadow)
            result["evaluation"] = evaluation
            if not evaluation["gate_passed"]:
                result["reason"] = evaluation["reason"]
                return result
        with self._lock:
            ckpt.copy_atomic(shadow.path, self.active_path)
        result["promoted"] = True
        result["active_model_version"] = self.model_version("active")
        return result

    def _gate(self, shadow: _Slot) -> dict[str, Any]:
        from ml.feedback_training import promotion_eval_data  # noqa: PLC0415
        from ml.pretrain import evaluate_model, gate_decision  # noqa: PLC0415

        data, where = promotion_eval_data(self.model_dir, self.settings)
        if len(data) == 0:
            raise PolicyError("no feedback transitions to compare the policies on; "
                              "collect feedback or promote with --force")
        gamma = float((shadow.meta.get("hyperparameters") or {}).get("gamma", 0.99))
        new = evaluate_model(shadow.model, data, gamma)
        active = self._current("active")
        prev = evaluate_model(active.model, data, gamma) if active.model is not None else None
        out = gate_decision(new, prev)
        if active.model is None and active.error:
            out["reason"] = f"published model not usable ({active.error})"
        out["evaluated_on"] = where
        out["transitions"] = len(data)
        return out


_managers: dict[Path, PolicyManager] = {}
_managers_lock = threading.Lock()


def get_policy_manager(settings: Any = None) -> PolicyManager:
    """The process's manager for ``settings.model_dir`` (default settings when None)."""
    if settings is None:
        from core.settings import get_settings  # noqa: PLC0415

        settings = get_settings()
    key = Path(settings.model_dir)
    with _managers_lock:
        manager = _managers.get(key)
        if manager is None:
            manager = _managers[key] = PolicyManager(key, settings=settings)
        return manager
