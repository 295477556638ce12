"""Numbers for ``GET /metrics``: how each policy does on real feedback, and job counts.

Per policy (``active_policy``, ``shadow_policy``):

* ``model_version`` — the checkpoint's version (``"heuristic"`` for an active policy with no
  usable checkpoint; ``None`` for a missing shadow).
* ``avg_reward`` — replay estimate (Li et al. 2011) over the most recent
  :data:`EVAL_WINDOW` feedback transitions: the mean logged reward of those transitions
  whose logged action is the policy's top-ranked action for the logged state. Both
  policies are judged the same way on the same records, so the numbers compare.
* ``success_rate`` — among the same matched transitions, the share with a positive reward
  (the attempt measurably improved the weighted objective).
* ``matched_records`` — how many transitions matched (``avg_reward`` is None when 0).

Plus ``feedback_records`` (lines in the feedback file), ``feedback_records_db`` (rows in
``optimization_episodes``, None when the database is unreachable) and ``jobs`` (counts by
kind and status).
"""

from __future__ import annotations

import logging
from typing import Any

from ml.feedback import (
    count_feedback_records,
    database_available,
    read_db_episodes,
    read_feedback_records,
)
from ml.policy import get_policy_manager
from ml.state import STATE_DIM

log = logging.getLogger(__name__)

EVAL_WINDOW = 1000


def _recent_feedback(settings: Any) -> list[dict[str, Any]]:
    rows = read_db_episodes(settings, limit=EVAL_WINDOW)
    if not rows:
        rows = read_feedback_records(settings.feedback_path)[-EVAL_WINDOW:]
    return [
        r for r in rows
        if isinstance(r.get("state"), list) and len(r["state"]) == STATE_DIM
        and isinstance(r.get("action_idx"), int) and isinstance(r.get("reward"), int | float)
    ]


def _policy_block(manager: Any, which: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    model, version = manager.model(which)
    if which == "shadow" and model is None:
        return {"model_version": None, "avg_reward": None, "success_rate": None,
                "matched_records": 0}
    block: dict[str, Any] = {"model_version": version or "heuristic"}
    greedy = manager.greedy_actions([r["state"] for r in records], policy=which)
    matched = [float(r["reward"]) for r, g in zip(records, greedy, strict=True) if g == r["action_idx"]]
    block["avg_reward"] = round(sum(matched) / len(matched), 4) if matched else None
    block["success_rate"] = round(sum(1 for x in matched if x > 0) / len(matched), 4) if matched else None
    block["matched_records"] = len(matched)
    return block


def _db_counts(settings: Any) -> tuple[int | None, dict[str, dict[str, int]] | None]:
    if not database_available(settings):
        return None, None
    try:
        from sqlalchemy import func, select  # noqa: PLC0415

        from core.storage.db import session_scope  # noqa: PLC0415
        from core.storage.models import Job, OptimizationEpisode  # noqa: PLC0415

        with session_scope(settings.database_url) as session:
            episodes = session.scalar(select(func.count()).select_from(OptimizationEpisode))
            rows = session.execute(
                select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)
            ).all()
    except Exception as exc:  # unreachable database or schema not created yet
        log.info("metrics: database not readable: %s", exc)
        return None, None
    jobs: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        jobs.setdefault(kind, {})[status] = int(count)
    return int(episodes or 0), jobs


def policy_metrics(settings: Any = None) -> dict[str, Any]:
    """The ``/metrics`` body (module docstring defines every field)."""
    if settings is None:
        from core.settings import get_settings  # noqa: PLC0415

        settings = get_settings()
    manager = get_policy_manager(settings)
    records = _recent_feedback(settings)
    episodes, jobs = _db_counts(settings)
    return {
        "active_policy": _policy_block(manager, "active", records),
        "shadow_policy": _policy_block(manager, "shadow", records),
        "evaluated_feedback_records": len(records),
        "feedback_records": count_feedback_records(settings.feedback_path),
        "feedback_records_db": episodes,
        "jobs": {
            "total": sum(sum(v.values()) for v in jobs.values()) if jobs is not None else None,
            "by_kind": jobs,
        },
    }
