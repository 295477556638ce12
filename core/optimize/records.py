"""Persistence of optimization requests and per-rule statistics (learned_patterns)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.settings import Settings
from core.storage.db import session_scope
from core.storage.models import LearnedPattern, OptimizationRecord


def record_optimization(
    *,
    source: str,
    file_path: str | None,
    code_sha256: str,
    objective_weights: dict[str, float],
    llm_provider: str | None,
    suggestions: list[dict[str, Any]],
    validated_count: int,
    best_speedup: float | None,
    processing_time_seconds: float,
    settings: Settings | None = None,
    job_id: str | None = None,
) -> int:
    """Store one optimization request and return its id."""
    with session_scope(settings.database_url if settings else None) as session:
        row = OptimizationRecord(
            job_id=job_id,
            source=source,
            file_path=file_path,
            code_sha256=code_sha256,
            objective_weights=objective_weights,
            llm_provider=llm_provider,
            suggestions=suggestions,
            suggestion_count=len(suggestions),
            validated_count=validated_count,
            best_speedup=best_speedup,
            processing_time_seconds=processing_time_seconds,
        )
        session.add(row)
        session.flush()
        return int(row.id)


def update_learned_pattern(
    *,
    rule_id: str,
    category: str,
    success: bool,
    speedup: float | None,
    memory_delta_pct: float | None,
    settings: Settings | None = None,
) -> None:
    """Fold one attempt into the rule's running statistics (means over successes)."""
    with session_scope(settings.database_url if settings else None) as session:
        row = session.scalars(
            select(LearnedPattern).where(
                LearnedPattern.rule_id == rule_id, LearnedPattern.category == category
            ).with_for_update()
        ).first()
        if row is None:
            row = LearnedPattern(
                rule_id=rule_id, category=category, attempts=0, successes=0,
                mean_speedup=0.0, mean_memory_delta_pct=0.0,
            )
            session.add(row)
        row.attempts += 1
        if success:
            row.successes += 1
            n = row.successes
            if speedup is not None:
                row.mean_speedup += (speedup - row.mean_speedup) / n
            if memory_delta_pct is not None:
                row.mean_memory_delta_pct += (memory_delta_pct - row.mean_memory_delta_pct) / n


def learned_patterns(settings: Settings | None = None) -> list[dict[str, Any]]:
    with session_scope(settings.database_url if settings else None) as session:
        rows = session.scalars(select(LearnedPattern).order_by(LearnedPattern.rule_id)).all()
        return [
            {
                "rule_id": r.rule_id,
                "category": r.category,
                "attempts": r.attempts,
                "successes": r.successes,
                "mean_speedup": r.mean_speedup,
                "mean_memory_delta_pct": r.mean_memory_delta_pct,
            }
            for r in rows
        ]
