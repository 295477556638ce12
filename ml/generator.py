"""Synthetic multi-step optimization episodes for offline pretraining (``velox generate-data``).

A small simulated world, vectorised with numpy over whole batches of episodes:

* **Initial state** — complexity uniform in [0.5, 0.95]; 0-4 kinds of findings (each a
  findings column of :mod:`ml.state`, 1-3+ findings, more likely when complexity is high);
  the other metrics derived from complexity with noise.
* **Effect of an action** — each action type has a runtime and a memory effect at full
  strength (:data:`ACTION_EFFECTS`, plausible orders of magnitude, not measurements; some
  trade memory for speed, e.g. caching). An action whose findings column is non-zero
  *fits*: it improves runtime/memory by ``effect * findings * complexity`` (with 15 %
  multiplicative noise), so improvements shrink as complexity falls — diminishing returns.
  A non-fitting rewrite gains nothing and costs a small measured regression; ``no_change``
  measures exactly 0. The reward is :func:`ml.rewards.reward_from_measurement` of the
  simulated deltas under the chosen objective weights.
* **State evolution** — a fitting action fixes most of its findings (the column decays to
  0-50 %), complexity falls in proportion, maintainability rises, CC and size shrink.
  A non-fitting action leaves the state as it was.
* **Logged action (behaviour)** — 60 % the action with the best expected immediate reward
  (as a sound optimizer would try first), 20 % another fitting action, 20 % uniform over
  all types. So the best action for a state is determined by its findings and the
  objective weights, and the data covers the alternatives too.
* **Episodes** of 3-8 steps; only the last step has ``done: true``.

Legacy episode JSON files (``--input-dir``) and real transitions (the
``optimization_episodes`` table when the database is reachable, and the feedback JSONL)
come first in the output, then the synthetic ones. The output is streamed in chunks, is
the same bytes for the same seed and inputs, and appears atomically (temp file + rename).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from core.actions import ACTION_INDEX, NUM_ACTIONS, PRODUCTION_ACTION_TYPES, action_index
from ml.rewards import DEFAULT_REWARD_SCALE, _weights
from ml.state import FEATURE_INDEX, FINDING_ACTIONS, FINDINGS_OFFSET, STATE_DIM
from ml.transitions import TransitionArrays, atomic_writer, format_lines

log = logging.getLogger(__name__)

#: (runtime reduction, memory reduction) at full findings strength and complexity 1.
#: Negative = that resource gets worse. Types not listed (custom ones) get DEFAULT_EFFECT.
ACTION_EFFECTS: dict[str, tuple[float, float]] = {
    "algorithm_change": (0.65, 0.0),
    "data_structure_optimization": (0.55, -0.05),
    "caching_strategy": (0.55, -0.20),
    "loop_optimization": (0.25, 0.0),
    "generator_conversion": (0.05, 0.55),
    "string_building": (0.35, 0.20),
    "comprehension_conversion": (0.20, 0.0),
    "builtin_function_usage": (0.35, 0.0),
    "loop_invariant_hoisting": (0.20, 0.0),
    "regex_precompilation": (0.30, 0.0),
    "memory_layout_optimization": (0.03, 0.50),
    "io_streaming": (0.05, 0.65),
    "vectorization": (0.60, 0.10),
    "parallelization": (0.45, -0.25),
    "lazy_evaluation": (0.20, 0.20),
    "dead_code_elimination": (0.10, 0.05),
    "redundant_computation_elimination": (0.30, 0.0),
    "closed_form_math": (0.75, 0.05),
    "short_circuit_evaluation": (0.30, 0.0),
    "batch_operations": (0.30, 0.05),
    "specialized_collections": (0.30, 0.05),
    "sorting_optimization": (0.40, 0.05),
    "copy_reduction": (0.20, 0.40),
    "attribute_lookup_caching": (0.08, 0.0),
}
DEFAULT_EFFECT = (0.20, 0.05)
#: Typical severity mix (high, medium, low) of the findings behind each action type.
_HIGH_SEVERITY = {"algorithm_change", "closed_form_math", "caching_strategy",
                  "data_structure_optimization", "vectorization", "io_streaming"}

BEHAVIOUR_BEST, BEHAVIOUR_FITTING = 0.6, 0.2  # the rest is uniform over all action types
#: Measured regression of a rewrite that does not fit: runtime U(0.5, 3) %, memory U(0, 1) %.
MISFIT_RUNTIME_PCT, MISFIT_MEMORY_PCT = (0.5, 3.0), (0.0, 1.0)
CHUNK_TRANSITIONS = 16_384
NO_CHANGE = ACTION_INDEX.get("no_change", NUM_ACTIONS - 1)

_F = len(FINDING_ACTIONS)
_COL_ACTION = np.array([ACTION_INDEX[a] for a in FINDING_ACTIONS])  # findings column -> action
_ACTION_COL = np.full(NUM_ACTIONS, -1)
_ACTION_COL[_COL_ACTION] = np.arange(_F)
_RT = np.array([ACTION_EFFECTS.get(a, DEFAULT_EFFECT)[0] for a in FINDING_ACTIONS])
_MEM = np.array([ACTION_EFFECTS.get(a, DEFAULT_EFFECT)[1] for a in FINDING_ACTIONS])
_SEV = np.array([(0.6, 0.3, 0.1) if a in _HIGH_SEVERITY else (0.15, 0.5, 0.35)
                 for a in FINDING_ACTIONS])
_I = FEATURE_INDEX


@dataclass(slots=True)
class GenerationSummary:
    output: Path
    legacy_transitions: int = 0
    real_transitions: int = 0
    real_from_db: int = 0
    real_from_feedback: int = 0
    synthetic_transitions: int = 0
    skipped: int = 0  # legacy/real transitions of another state layout or action list
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.legacy_transitions + self.real_transitions + self.synthetic_transitions

    def lines(self) -> list[str]:
        """The guide's summary lines (plus one for real transitions)."""
        return [
            f"Generated {self.legacy_transitions} transitions from legacy episodes",
            f"Included {self.real_transitions} real transitions "
            f"({self.real_from_db} from optimization_episodes, "
            f"{self.real_from_feedback} from feedback)",
            f"Generated {self.synthetic_transitions} synthetic multi-step transitions",
            f"Total transitions: {self.total}",
            f"Wrote to: {self.output}",
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": str(self.output), "legacy_transitions": self.legacy_transitions,
            "real_transitions": self.real_transitions, "real_from_db": self.real_from_db,
            "real_from_feedback": self.real_from_feedback,
            "synthetic_transitions": self.synthetic_transitions, "skipped": self.skipped,
            "total_transitions": self.total, "seconds": round(self.seconds, 3),
        }


# --------------------------------------------------------------------------- the world


def _rewards(gain: np.ndarray, reward_scale: float) -> np.ndarray:
    """Vectorised :func:`ml.rewards.gain_to_reward`."""
    return np.sign(gain) * np.log1p(reward_scale * np.abs(gain))


class _World:
    """The simulated dynamics for one objective (weights) and reward scale."""

    def __init__(self, weights: tuple[float, float], reward_scale: float) -> None:
        w_r, w_m = weights
        self.w_r, self.w_m = w_r / (w_r + w_m), w_m / (w_r + w_m)
        self.scale = reward_scale
        misfit_gain = -(self.w_r * np.mean(MISFIT_RUNTIME_PCT) + self.w_m * np.mean(MISFIT_MEMORY_PCT)) / 100
        self.misfit_reward = float(_rewards(np.array(misfit_gain), reward_scale))

    def initial_states(self, rng: np.random.Generator, n: int) -> np.ndarray:
        s = np.zeros((n, STATE_DIM))
        c = rng.uniform(0.5, 0.95, n)
        kinds = rng.choice(5, size=n, p=[0.08, 0.32, 0.30, 0.20, 0.10])
        rank = np.argsort(rng.random((n, _F)), axis=1).argsort(axis=1)
        present = rank < kinds[:, None]
        counts = (1 + rng.poisson((1.5 * c)[:, None], (n, _F))) * present
        s[:, FINDINGS_OFFSET:] = np.minimum(1.0, counts / 3.0)
        s[:, _I["complexity"]] = c
        s[:, _I["loc"]] = rng.uniform(0.25, 0.75, n)
        s[:, _I["functions"]] = rng.uniform(0.05, 0.7, n)
        s[:, _I["classes"]] = rng.uniform(0, 0.5, n) * (rng.random(n) < 0.5)
        s[:, _I["recursion"]] = rng.uniform(0, 0.5, n) * (rng.random(n) < 0.15)
        s[:, _I["comment_ratio"]] = rng.uniform(0, 0.3, n)
        s[:, _I["max_cc"]] = np.clip(0.15 + 0.45 * c + rng.normal(0, 0.05, n), 0, 1)
        s[:, _I["avg_cc"]] = np.clip(0.05 + 0.30 * c + rng.normal(0, 0.04, n), 0, 1)
        self._derive(s)
        s[:, _I["maintainability"]] = np.clip(
            1.05 - 0.55 * c - 0.3 * s[:, _I["issue_load"]] + rng.normal(0, 0.04, n), 0, 1
        )
        return s

    @staticmethod
    def _derive(s: np.ndarray) -> None:
        """Recompute issue load and severity shares from the findings columns."""
        counts = s[:, FINDINGS_OFFSET:] * 3.0
        total = counts.sum(1)
        s[:, _I["issue_load"]] = total / (total + 10.0)
        mix = counts @ _SEV
        with np.errstate(invalid="ignore", divide="ignore"):
            mix = np.where(total[:, None] > 0, mix / total[:, None], 0.0)
        s[:, _I["severity_high"]: _I["severity_low"] + 1] = mix

    def expected_gains(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Noise-free runtime and memory reductions (fractions) of every fitting action."""
        strength = s[:, FINDINGS_OFFSET:] * s[:, _I["complexity"], None]
        return strength * _RT, strength * _MEM

    def expected_rewards(self, s: np.ndarray) -> np.ndarray:
        """Expected immediate reward of each of the NUM_ACTIONS actions, shape (n, A)."""
        rt, mem = self.expected_gains(s)
        fit = _rewards(self.w_r * rt + self.w_m * mem, self.scale)
        out = np.full((s.shape[0], NUM_ACTIONS), self.misfit_reward)
        out[:, _COL_ACTION] = np.where(s[:, FINDINGS_OFFSET:] > 0, fit, self.misfit_reward)
        out[:, NO_CHANGE] = 0.0
        return out

    def best_actions(self, s: np.ndarray) -> np.ndarray:
        """The action with the best expected immediate reward (the 'right answer')."""
        return self.expected_rewards(s).argmax(1)

    def behaviour(self, rng: np.random.Generator, s: np.ndarray) -> np.ndarray:
        n = s.shape[0]
        best = self.best_actions(s)
        present = s[:, FINDINGS_OFFSET:] > 0
        fitting = _COL_ACTION[(rng.random((n, _F)) * present).argmax(1)]
        uniform = rng.integers(0, NUM_ACTIONS, n)
        u = rng.random(n)
        other = np.where(present.any(1), fitting, uniform)
        return np.where(u < BEHAVIOUR_BEST, best,
                        np.where(u < BEHAVIOUR_BEST + BEHAVIOUR_FITTING, other, uniform))

    def step(self, rng: np.random.Generator, s: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Apply actions ``a`` to states ``s``: (rewards, next states)."""
        n = s.shape[0]
        rows = np.arange(n)
        col = _ACTION_COL[a]
        v = np.where(col >= 0, s[rows, FINDINGS_OFFSET + np.maximum(col, 0)], 0.0)
        fits = v > 0
        c = s[:, _I["complexity"]]
        noise = 1 + rng.normal(0, 0.15, (2, n))
        cc = np.maximum(col, 0)
        rt_gain = np.clip(_RT[cc] * v * c * noise[0], -0.9, 0.95)
        mem_gain = np.clip(_MEM[cc] * v * c * noise[1], -0.9, 0.95)
        rt_pct = np.where(fits, -100 * rt_gain + rng.normal(0, 0.5, n),
                          rng.uniform(*MISFIT_RUNTIME_PCT, n))
        mem_pct = np.where(fits, -100 * mem_gain + rng.normal(0, 0.5, n),
                           rng.uniform(*MISFIT_MEMORY_PCT, n))
        nochange = a == NO_CHANGE
        rt_pct[nochange] = 0.0
        mem_pct[nochange] = 0.0
        rewards = _rewards(-(self.w_r * rt_pct + self.w_m * mem_pct) / 100.0, self.scale)

        nxt = s.copy()
        f = np.flatnonzero(fits)
        if f.size:
            left = v[f] * rng.uniform(0.0, 0.5, f.size)
            nxt[f, FINDINGS_OFFSET + col[f]] = np.where(left < 0.05, 0.0, left)
            shrink = 1 - rng.uniform(0.08, 0.2, f.size) * v[f]
            new_c = c[f] * shrink
            nxt[f, _I["complexity"]] = new_c
            m = _I["maintainability"]
            nxt[f, m] = np.minimum(1.0, s[f, m] + 0.6 * (c[f] - new_c))
            for name in ("max_cc", "avg_cc"):
                nxt[f, _I[name]] = s[f, _I[name]] * shrink
            nxt[f, _I["loc"]] = s[f, _I["loc"]] * rng.uniform(0.95, 1.0, f.size)
            sub = nxt[f]
            self._derive(sub)
            nxt[f] = sub
        return rewards, nxt


def _episode_lengths(rng: np.random.Generator, n: int) -> np.ndarray:
    """Episode lengths in 3..8 summing exactly to ``n`` (one shorter episode when n < 3)."""
    if n <= 0:
        return np.zeros(0, np.int64)
    if n < 3:
        return np.array([n])
    lengths = rng.integers(3, 9, n // 3 + 1)
    cut = int(np.searchsorted(np.cumsum(lengths), n))
    lengths = lengths[: cut + 1].copy()
    lengths[-1] -= int(lengths.sum()) - n
    if lengths[-1] < 3:  # fold a short tail into the previous episode, re-split if too long
        merged = int(lengths[-2] + lengths[-1])
        lengths = lengths[:-1]
        lengths[-1] = merged
        if merged > 8:
            lengths[-1] = merged - 3
            lengths = np.append(lengths, 3)
    return lengths


def synthetic_chunk(world: _World, rng: np.random.Generator, n: int) -> TransitionArrays:
    """``n`` transitions of whole episodes, episode-major, simulated step by step."""
    lengths = _episode_lengths(rng, n)
    e, t_max = len(lengths), int(lengths.max(initial=0))
    states = np.zeros((e, t_max, STATE_DIM))
    nexts = np.zeros_like(states)
    actions = np.zeros((e, t_max), np.int64)
    rewards = np.zeros((e, t_max))
    s = world.initial_states(rng, e)
    for t in range(t_max):
        a = world.behaviour(rng, s)
        r, s2 = world.step(rng, s, a)
        states[:, t], actions[:, t], rewards[:, t], nexts[:, t] = s, a, r, s2
        s = s2
    steps = np.arange(t_max)
    mask = steps[None, :] < lengths[:, None]
    dones = steps[None, :] == (lengths - 1)[:, None]
    return TransitionArrays(
        states[mask].astype(np.float32), actions[mask], rewards[mask].astype(np.float32),
        nexts[mask].astype(np.float32), dones[mask],
    )


def generate_synthetic(
    n: int,
    *,
    seed: int = 42,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    reward_scale: float = DEFAULT_REWARD_SCALE,
) -> TransitionArrays:
    """``n`` synthetic transitions in memory (tests, shadow training mixes)."""
    return TransitionArrays.concat(
        _synthetic_chunks(n, seed=seed, weights=weights, reward_scale=reward_scale)
    )


def _synthetic_chunks(n, *, seed, weights, reward_scale):
    world = _World(_weights(weights), reward_scale)
    rng = np.random.default_rng(seed)
    remaining = n
    while remaining > 0:
        size = min(CHUNK_TRANSITIONS, remaining)
        yield synthetic_chunk(world, rng, size)
        remaining -= size


def best_actions(
    states: np.ndarray,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    reward_scale: float = DEFAULT_REWARD_SCALE,
) -> np.ndarray:
    """The simulated world's best action per state (for benchmarks: the oracle answer)."""
    return _World(_weights(weights), reward_scale).best_actions(np.asarray(states, np.float64))


# ------------------------------------------------------------------ legacy and real episodes


def _as_action_idx(rec: dict[str, Any]) -> int:
    if "action_idx" in rec:
        return int(rec["action_idx"])
    name = rec.get("action_type", rec.get("action"))
    if isinstance(name, int):
        return name
    return action_index(str(name))


def _normalise(rec: Any) -> dict[str, Any] | None:
    """A legacy record in the JSONL shape, or None when it cannot be used here."""
    if not isinstance(rec, dict):
        return None
    try:
        state, nxt = rec["state"], rec.get("next_state", rec["state"])
        if len(state) != STATE_DIM or len(nxt) != STATE_DIM:
            return None
        return {
            "state": [float(x) for x in state],
            "action_idx": _as_action_idx(rec),
            "reward": float(rec["reward"]),
            "next_state": [float(x) for x in nxt],
            "done": bool(rec.get("done", False)),
        }
    except (KeyError, TypeError, ValueError):
        return None


def _episode_records(doc: Any) -> list[Any]:
    """Transitions of one legacy file: a list of transitions, ``{"transitions": [...]}``,
    or ``{"episodes": [{"transitions"|"steps": [...]}, ...]}``; an episode's last step is done."""
    if isinstance(doc, list):
        if doc and isinstance(doc[0], dict) and ("transitions" in doc[0] or "steps" in doc[0]):
            return _episode_records({"episodes": doc})
        return doc
    if isinstance(doc, dict):
        if "episodes" in doc and isinstance(doc["episodes"], list):
            out: list[Any] = []
            for ep in doc["episodes"]:
                steps = ep.get("transitions", ep.get("steps", [])) if isinstance(ep, dict) else []
                steps = [dict(s) for s in steps if isinstance(s, dict)]
                for i, step in enumerate(steps):
                    step.setdefault("done", i == len(steps) - 1)
                out.extend(steps)
            return out
        if "transitions" in doc and isinstance(doc["transitions"], list):
            return doc["transitions"]
    return []


def load_legacy_episodes(input_dir: str | Path | None) -> tuple[list[dict[str, Any]], int]:
    """(usable records, skipped count) from the ``*.json`` files of ``input_dir``, in name order."""
    if input_dir is None:
        return [], 0
    folder = Path(input_dir)
    if not folder.is_dir():
        return [], 0
    records, skipped = [], 0
    for path in sorted(folder.glob("*.json")):
        try:
            doc = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            log.warning("skipping legacy file %s: %s", path, exc)
            continue
        for rec in _episode_records(doc):
            norm = _normalise(rec)
            if norm is None:
                skipped += 1
            else:
                records.append(norm)
    return records, skipped


def _key(rec: dict[str, Any]) -> tuple:
    return (
        tuple(round(x, 4) for x in rec["state"]), rec["action_idx"], round(rec["reward"], 4),
        tuple(round(x, 4) for x in rec["next_state"]), rec["done"],
    )


def load_real_transitions(settings: Any) -> tuple[list[dict[str, Any]], int, int, int]:
    """(records, from db, from feedback, skipped): optimization_episodes rows (when the
    database is reachable), then the feedback lines that are not already among them.

    Every attempt is stored in both places, so a feedback line is dropped when an equal
    row was read from the database — as many times as that row occurs (equal attempts,
    e.g. repeated ``no_change`` steps, are kept as often as they happened)."""
    from collections import Counter  # noqa: PLC0415

    from ml.feedback import read_db_episodes, read_feedback_records  # noqa: PLC0415

    db_seen: Counter[tuple] = Counter()
    out: list[dict[str, Any]] = []
    skipped = 0
    counts = []
    for i, source in enumerate((read_db_episodes(settings),
                                read_feedback_records(settings.feedback_path))):
        added = 0
        for rec in source:
            norm = _normalise(rec)
            if norm is None:
                skipped += 1
                continue
            k = _key(norm)
            if i == 0:
                db_seen[k] += 1
            elif db_seen[k] > 0:
                db_seen[k] -= 1
                continue
            out.append(norm)
            added += 1
        counts.append(added)
    return out, counts[0], counts[1], skipped


# --------------------------------------------------------------------------- entry point


def generate_dataset(
    output_jsonl: str | Path,
    *,
    synthetic_samples: int = 10_000,
    input_dir: str | Path | None = None,
    seed: int = 42,
    objective_runtime_weight: float = 0.5,
    objective_memory_weight: float = 0.5,
    reward_scale: float = DEFAULT_REWARD_SCALE,
    include_real: bool = True,
    settings: Any = None,
    progress: Callable[..., None] | None = None,
) -> GenerationSummary:
    """Write legacy + real + ``synthetic_samples`` synthetic transitions to ``output_jsonl``.

    Raises ValueError for bad arguments. ``include_real`` reads the database and the
    feedback file of ``settings`` (default: ``get_settings()``).
    """
    if synthetic_samples < 0:
        raise ValueError("synthetic_samples must be >= 0")
    weights = _weights((objective_runtime_weight, objective_memory_weight))
    if reward_scale <= 0:
        raise ValueError("reward_scale must be positive")
    started = time.perf_counter()
    out = Path(output_jsonl)
    summary = GenerationSummary(output=out)
    legacy, skipped = load_legacy_episodes(input_dir)
    summary.legacy_transitions, summary.skipped = len(legacy), skipped
    real: list[dict[str, Any]] = []
    if include_real:
        if settings is None:
            from core.settings import get_settings  # noqa: PLC0415

            settings = get_settings()
        real, summary.real_from_db, summary.real_from_feedback, sk = load_real_transitions(settings)
        summary.real_transitions = len(real)
        summary.skipped += sk
    with atomic_writer(out) as fh:
        if legacy:
            fh.write(format_lines(TransitionArrays.from_records(legacy, where="legacy record")))
        if real:
            fh.write(format_lines(TransitionArrays.from_records(real, where="real record")))
        done = 0
        for chunk in _synthetic_chunks(
            synthetic_samples, seed=seed, weights=weights, reward_scale=reward_scale
        ):
            fh.write(format_lines(chunk))
            done += len(chunk)
            if progress is not None:
                progress(phase="generating", progress=done / max(1, synthetic_samples))
        summary.synthetic_transitions = done
    summary.seconds = time.perf_counter() - started
    return summary


__all__ = [
    "ACTION_EFFECTS", "GenerationSummary", "PRODUCTION_ACTION_TYPES", "best_actions",
    "generate_dataset", "generate_synthetic", "load_legacy_episodes",
]
