"""SQLAlchemy 2 models. Alembic migrations in ``core/storage/migrations`` create them.

Portable types only (JSON, not JSONB) so the same schema runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Job(Base):
    """Every asynchronous request (scan, optimize, train, repository, monitor run)."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # job_<epoch>_<hex8>
    kind: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    phase: Mapped[str | None] = mapped_column(String(64))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    celery_task_id: Mapped[str | None] = mapped_column(String(64))
    # How many times a worker picked the job up: above 1 means it was re-delivered after a
    # worker was lost; the runner gives up (status failed) past a small cap.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(255))  # "hostname:pid" of the last runner
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set exactly once, when the job reaches a final status: "finished_at is not null" is
    # what terminal means, whatever the kind's status vocabulary.
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class OptimizationRecord(Base):
    """One optimization request and what came of it."""

    __tablename__ = "optimization_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str | None] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(32))  # inline | file | repository
    file_path: Mapped[str | None] = mapped_column(Text)
    code_sha256: Mapped[str] = mapped_column(String(64), index=True)
    objective_weights: Mapped[dict[str, float]] = mapped_column(JSON)
    llm_provider: Mapped[str | None] = mapped_column(String(64))
    suggestions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    suggestion_count: Mapped[int] = mapped_column(Integer, default=0)
    validated_count: Mapped[int] = mapped_column(Integer, default=0)
    best_speedup: Mapped[float | None] = mapped_column(Float)
    processing_time_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class OptimizationEpisode(Base):
    """One measured attempt as an RL transition (state, action, reward, next state)."""

    __tablename__ = "optimization_episodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[int | None] = mapped_column(Integer, index=True)
    episode_key: Mapped[str | None] = mapped_column(String(64), index=True)
    step: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[list[float]] = mapped_column(JSON)
    action_idx: Mapped[int] = mapped_column(Integer)
    action_type: Mapped[str] = mapped_column(String(64))
    reward: Mapped[float] = mapped_column(Float)
    next_state: Mapped[list[float]] = mapped_column(JSON)
    done: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(32), default="shadow_feedback")
    validation_status: Mapped[str | None] = mapped_column(String(32))
    runtime_delta_pct: Mapped[float | None] = mapped_column(Float)
    memory_delta_pct: Mapped[float | None] = mapped_column(Float)
    policy_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class LearnedPattern(Base):
    """What each rule (or LLM model) achieved per category: attempts, successes, mean speedup."""

    __tablename__ = "learned_patterns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    successes: Mapped[int] = mapped_column(Integer, default=0)
    mean_speedup: Mapped[float] = mapped_column(Float, default=0.0)
    mean_memory_delta_pct: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Monitor(Base):
    """A directory watched on an interval (POST /monitor/directory)."""

    __tablename__ = "monitors"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    directory: Mapped[str] = mapped_column(Text)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=300)
    auto_optimize: Mapped[bool] = mapped_column(Boolean, default=False)
    notification_webhook: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_fingerprint: Mapped[str | None] = mapped_column(String(64))
    last_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


TABLE_NAMES: list[str] = [
    "optimization_records",
    "optimization_episodes",
    "learned_patterns",
    "jobs",
    "monitors",
]
