"""Reading and writing transitions in the guide's JSONL format.

One JSON object per line::

    {"state": [...], "action_idx": 2, "reward": 8.5, "next_state": [...], "done": false}

Feedback lines add ``"source"`` and ``"timestamp"``. Written with ``", "``/``": "``
separators like ``json.dumps`` (so the guide's ``grep '"done": true'`` works), read with
orjson in one pass over the file.
"""

from __future__ import annotations

import glob
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from core.actions import NUM_ACTIONS
from ml.state import STATE_DIM

_NUMPY = orjson.OPT_SERIALIZE_NUMPY
DECIMALS = 4  # states and rewards are written rounded: keeps files small, loses nothing useful


class TransitionFormatError(ValueError):
    """A transitions file has a line that is not a valid transition (message names it)."""


@dataclass(slots=True)
class TransitionArrays:
    """A batch of transitions as numpy arrays (``float32`` states, ``int64`` actions)."""

    states: np.ndarray  # (n, STATE_DIM)
    actions: np.ndarray  # (n,)
    rewards: np.ndarray  # (n,)
    next_states: np.ndarray  # (n, STATE_DIM)
    dones: np.ndarray  # (n,) bool

    def __len__(self) -> int:
        return int(self.actions.shape[0])

    @classmethod
    def empty(cls) -> TransitionArrays:
        z = np.zeros((0, STATE_DIM), np.float32)
        return cls(z, np.zeros(0, np.int64), np.zeros(0, np.float32), z.copy(), np.zeros(0, bool))

    @classmethod
    def concat(cls, parts: Iterable[TransitionArrays]) -> TransitionArrays:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.states for p in parts]),
            np.concatenate([p.actions for p in parts]),
            np.concatenate([p.rewards for p in parts]),
            np.concatenate([p.next_states for p in parts]),
            np.concatenate([p.dones for p in parts]),
        )

    def take(self, idx: np.ndarray | slice) -> TransitionArrays:
        return TransitionArrays(
            self.states[idx], self.actions[idx], self.rewards[idx], self.next_states[idx],
            self.dones[idx],
        )

    @classmethod
    def from_records(cls, records: list[dict[str, Any]], *, where: str = "records") -> TransitionArrays:
        """Validate and stack dicts in the JSONL shape; ValueError names the bad record."""
        if not records:
            return cls.empty()
        n = len(records)
        states = np.empty((n, STATE_DIM), np.float32)
        next_states = np.empty((n, STATE_DIM), np.float32)
        actions = np.empty(n, np.int64)
        rewards = np.empty(n, np.float32)
        dones = np.empty(n, bool)
        for i, r in enumerate(records):
            try:
                if len(r["state"]) != STATE_DIM or len(r["next_state"]) != STATE_DIM:
                    raise ValueError("wrong length")  # numpy would broadcast a 1-element list
                states[i] = r["state"]
                next_states[i] = r["next_state"]
                actions[i] = r["action_idx"]
                rewards[i] = r["reward"]
                dones[i] = bool(r.get("done", False))
            except (KeyError, TypeError, ValueError) as exc:
                raise TransitionFormatError(f"{where} {i + 1}: {_explain(r, exc)}") from None
        bad = (actions < 0) | (actions >= NUM_ACTIONS)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise TransitionFormatError(
                f"{where} {i + 1}: action_idx {int(actions[i])} outside 0..{NUM_ACTIONS - 1}"
            )
        finite = np.isfinite(states).all(1) & np.isfinite(next_states).all(1) & np.isfinite(rewards)
        if not finite.all():
            i = int(np.flatnonzero(~finite)[0])
            raise TransitionFormatError(f"{where} {i + 1}: non-finite number")
        return cls(states, actions, rewards, next_states, dones)


def _explain(record: Any, exc: Exception) -> str:
    if not isinstance(record, dict):
        return "not a JSON object"
    for key in ("state", "action_idx", "reward", "next_state"):
        if key not in record:
            return f"missing {key!r}"
    for key in ("state", "next_state"):
        v = record[key]
        if not isinstance(v, list) or len(v) != STATE_DIM:
            got = len(v) if isinstance(v, list) else type(v).__name__
            return f"{key!r} must be a list of {STATE_DIM} numbers (got {got}); was it made for another state layout?"
    return str(exc)


def read_jsonl(path: str | os.PathLike[str]) -> TransitionArrays:
    """Load a transitions JSONL file (blank lines ignored).

    Raises FileNotFoundError, or TransitionFormatError naming the first bad line.
    """
    data = Path(path).read_bytes()
    lines = [ln for ln in data.split(b"\n") if ln.strip()]
    try:  # fast path: the whole file as one JSON array, one C call
        records = orjson.loads(b"[" + b",".join(lines) + b"]")
    except orjson.JSONDecodeError:
        records = []
        for i, ln in enumerate(lines):
            try:
                records.append(orjson.loads(ln))
            except orjson.JSONDecodeError as exc:
                raise TransitionFormatError(f"{path}: line {i + 1}: invalid JSON ({exc})") from None
    return TransitionArrays.from_records(records, where=f"{path}: line")


def format_lines(t: TransitionArrays, extra: list[dict[str, Any]] | None = None) -> bytes:
    """The JSONL bytes for a batch (``extra[i]`` adds keys to line ``i``, e.g. source)."""
    n = len(t)
    if n == 0:
        return b""
    states = _rows(np.round(t.states.astype(np.float64), DECIMALS))
    nexts = _rows(np.round(t.next_states.astype(np.float64), DECIMALS))
    rewards = np.round(t.rewards.astype(np.float64), DECIMALS).tolist()
    actions = t.actions.tolist()
    dones = t.dones.tolist()
    out = []
    for i in range(n):
        tail = b""
        if extra and extra[i]:
            tail = b"".join(
                b', "' + k.encode() + b'": ' + orjson.dumps(v) for k, v in extra[i].items()
            )
        out.append(
            b'{"state": [%b], "action_idx": %d, "reward": %b, "next_state": [%b], "done": %b%b}\n'
            % (states[i], actions[i], orjson.dumps(rewards[i]), nexts[i],
               b"true" if dones[i] else b"false", tail)
        )
    return b"".join(out)


def _rows(a: np.ndarray) -> list[bytes]:
    """Each row of a 2-D float array as JSON numbers joined by ", " (no brackets)."""
    if a.shape[0] == 0:
        return []
    blob = orjson.dumps(a, option=_NUMPY)  # b"[[a,b],[c,d]]"
    return [row.replace(b",", b", ") for row in blob[2:-2].split(b"],[")]


@contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Write ``path`` through a temporary file in the same folder, fsync, then rename.

    Readers see the old file or the complete new one, never a half-written one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide models from workers of another user
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


STALE_TEMP_SECONDS = 3600.0


def _remove_stale_temps(path: Path) -> None:
    """Temporary files of ``path`` left by a writer killed before its rename (a worker
    SIGKILLed while publishing a model). Only those untouched for an hour: a temp file
    younger than that may belong to a writer still at work in another process."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def _fsync_dir(folder: Path) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
