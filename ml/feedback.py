"""Online feedback: every measured attempt becomes a transition, stored twice.

:func:`record_transition` appends one line in the guide's feedback format to
``settings.feedback_path`` (one ``write`` on an ``O_APPEND`` descriptor under an exclusive
``flock``, then ``fsync``: concurrent writers never interleave or tear lines) and inserts a
row in ``optimization_episodes``. The file line is written first; a database that is down
loses nothing already written, and the result says the row is missing.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from core.actions import NUM_ACTIONS, PRODUCTION_ACTION_TYPES, action_index
from ml.state import validate_state

log = logging.getLogger(__name__)

FEEDBACK_SOURCE = "shadow_feedback"


def _timestamp(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _action(action: int | str) -> int:
    if isinstance(action, bool):
        raise ValueError(f"action must be an action type or index, got {action!r}")
    if isinstance(action, int):
        if not 0 <= action < NUM_ACTIONS:
            raise ValueError(f"action index {action} outside 0..{NUM_ACTIONS - 1}")
        return action
    return action_index(str(action))


def append_line(path: Path, line: bytes) -> None:
    """Append one complete line atomically with respect to other appenders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock


def record_transition(
    state: Sequence[float],
    action: int | str,
    reward: float,
    next_state: Sequence[float],
    done: bool = True,
    *,
    source: str = FEEDBACK_SOURCE,
    validation_status: str | None = None,
    runtime_delta_pct: float | None = None,
    memory_delta_pct: float | None = None,
    policy_version: str | None = None,
    record_id: int | None = None,
    episode_key: str | None = None,
    step: int = 0,
    settings: Any = None,
    write_db: bool = True,
) -> dict[str, Any]:
    """Store one measured attempt; return ``{"line": <the JSON written>, "db_id", "db_error"}``.

    ``action`` is an action type name or index. ValueError for a malformed state, unknown
    action or non-finite reward, before anything is written.
    """
    if settings is None:
        from core.settings import get_settings  # noqa: PLC0415

        settings = get_settings()
    s = validate_state(state, what="state")
    s2 = validate_state(next_state, what="next_state")
    a = _action(action)
    r = float(reward)
    if r != r or r in (float("inf"), float("-inf")):
        raise ValueError(f"reward must be finite, got {reward!r}")
    line = {
        "state": s,
        "action_idx": a,
        "reward": r,
        "next_state": s2,
        "done": bool(done),
        "source": source,
        "timestamp": _timestamp(),
    }
    append_line(Path(settings.feedback_path), _dumps_line(line))
    result: dict[str, Any] = {"line": line, "db_id": None, "db_error": None}
    if write_db:
        try:
            result["db_id"] = _insert_episode(
                settings, line, validation_status=validation_status,
                runtime_delta_pct=runtime_delta_pct, memory_delta_pct=memory_delta_pct,
                policy_version=policy_version, record_id=record_id,
                episode_key=episode_key, step=step,
            )
        except Exception as exc:  # the file line is kept; report, never lose the attempt
            log.warning("feedback row not stored in the database: %s", exc)
            result["db_error"] = f"{type(exc).__name__}: {exc}"
    return result


def _dumps_line(rec: dict[str, Any]) -> bytes:
    """One JSON line with json.dumps-style ", " / ": " separators (the guide's greps rely
    on ``"done": true``)."""
    out = []
    for k, v in rec.items():
        if isinstance(v, list):
            val = b"[" + b", ".join(orjson.dumps(x) for x in v) + b"]"
        else:
            val = orjson.dumps(v)
        out.append(b'"' + k.encode() + b'": ' + val)
    return b"{" + b", ".join(out) + b"}\n"


def _insert_episode(settings: Any, line: dict[str, Any], **extra: Any) -> int:
    from core.storage.models import OptimizationEpisode  # noqa: PLC0415

    row = OptimizationEpisode(
        state=line["state"], action_idx=line["action_idx"],
        action_type=PRODUCTION_ACTION_TYPES[line["action_idx"]], reward=line["reward"],
        next_state=line["next_state"], done=line["done"], source=line["source"], **extra,
    )
    url = settings.database_url
    try:
        return _add(url, row)
    except Exception as exc:
        if not _missing_table(exc):
            raise
    from core.storage.migrate import ensure_database  # noqa: PLC0415 - first use of a fresh db

    ensure_database(url)
    return _add(url, row)


def _add(url: str, row: Any) -> int:
    from core.storage.db import session_scope  # noqa: PLC0415

    with session_scope(url) as session:
        session.add(row)
        session.flush()
        return int(row.id)


def _missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no such table" in text or "does not exist" in text and "relation" in text


# ----------------------------------------------------------------------------- reading


def read_feedback_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """All parseable lines of a feedback file (a missing file is empty; bad lines skipped)."""
    p = Path(path)
    if not p.is_file():
        return []
    out = []
    for raw in p.read_bytes().splitlines():
        if not raw.strip():
            continue
        try:
            rec = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def count_feedback_records(path: str | os.PathLike[str]) -> int:
    """Lines in the feedback file (the guide's ``wc -l``); 0 when it does not exist."""
    p = Path(path)
    if not p.is_file():
        return 0
    count = 0
    with p.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def database_available(settings: Any) -> bool:
    """False for an embedded SQLite file that does not exist yet (reading must not create it)."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        db = url.database or ""
        return db in ("", ":memory:") or Path(db).expanduser().is_file()
    return True


def read_db_episodes(settings: Any, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of ``optimization_episodes`` as JSONL-shaped dicts, oldest first (newest
    ``limit`` when given); ``[]`` when the database or the table is not reachable."""
    if not database_available(settings):
        return []
    try:
        from sqlalchemy import select  # noqa: PLC0415

        from core.storage.db import session_scope  # noqa: PLC0415
        from core.storage.models import OptimizationEpisode as E  # noqa: PLC0415, N817

        query = select(E.state, E.action_idx, E.reward, E.next_state, E.done, E.policy_version)
        query = query.order_by(E.id.desc()).limit(limit) if limit else query.order_by(E.id)
        with session_scope(settings.database_url) as session:
            rows = session.execute(query).all()
    except Exception as exc:  # unreachable server, missing table: no real episodes
        log.info("optimization_episodes not readable: %s", exc)
        return []
    if limit:
        rows = rows[::-1]
    return [
        {"state": r[0], "action_idx": r[1], "reward": r[2], "next_state": r[3], "done": r[4],
         "policy_version": r[5]}
        for r in rows
    ]
