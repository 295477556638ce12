"""Periodic shadow training: the beat schedule calls this on the ``gpu`` queue; it trains
the shadow policy only once enough new feedback arrived (``ml.feedback_training``)."""

from __future__ import annotations

from typing import Any

from tasks.celery_app import app

SHADOW_TASK = "velox.train_shadow"


@app.task(name=SHADOW_TASK, soft_time_limit=50 * 60, time_limit=60 * 60)
def train_shadow_task(min_new_records: int | None = None) -> dict[str, Any]:
    """Train the shadow policy if at least ``min_new_records`` new feedback records exist."""
    from ml.feedback_training import DEFAULT_MIN_NEW_RECORDS, train_shadow  # noqa: PLC0415

    return train_shadow(min_new_records=min_new_records or DEFAULT_MIN_NEW_RECORDS)
