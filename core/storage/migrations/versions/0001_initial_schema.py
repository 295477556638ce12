"""Initial schema: jobs, optimization_records, optimization_episodes, learned_patterns, monitors.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "optimization_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(64), nullable=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("code_sha256", sa.String(64), nullable=False),
        sa.Column("objective_weights", sa.JSON(), nullable=False),
        sa.Column("llm_provider", sa.String(64), nullable=True),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("suggestion_count", sa.Integer(), nullable=False),
        sa.Column("validated_count", sa.Integer(), nullable=False),
        sa.Column("best_speedup", sa.Float(), nullable=True),
        sa.Column("processing_time_seconds", sa.Float(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("job_id", "code_sha256", "created_at"):
        op.create_index(f"ix_optimization_records_{column}", "optimization_records", [column])

    op.create_table(
        "optimization_episodes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("episode_key", sa.String(64), nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("action_idx", sa.Integer(), nullable=False),
        sa.Column("action_type", sa.String(64), nullable=False),
        sa.Column("reward", sa.Float(), nullable=False),
        sa.Column("next_state", sa.JSON(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("validation_status", sa.String(32), nullable=True),
        sa.Column("runtime_delta_pct", sa.Float(), nullable=True),
        sa.Column("memory_delta_pct", sa.Float(), nullable=True),
        sa.Column("policy_version", sa.String(64), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("record_id", "episode_key", "created_at"):
        op.create_index(f"ix_optimization_episodes_{column}", "optimization_episodes", [column])

    op.create_table(
        "learned_patterns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("successes", sa.Integer(), nullable=False),
        sa.Column("mean_speedup", sa.Float(), nullable=False),
        sa.Column("mean_memory_delta_pct", sa.Float(), nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("rule_id", "category"):
        op.create_index(f"ix_learned_patterns_{column}", "learned_patterns", [column])

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("phase", sa.String(64), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("celery_task_id", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(255), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("started_at", _TZ, nullable=True),
        sa.Column("finished_at", _TZ, nullable=True),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("kind", "status", "created_at", "finished_at"):
        op.create_index(f"ix_jobs_{column}", "jobs", [column])

    op.create_table(
        "monitors",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("directory", sa.Text(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("auto_optimize", sa.Boolean(), nullable=False),
        sa.Column("notification_webhook", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_run_at", _TZ, nullable=True),
        sa.Column("last_fingerprint", sa.String(64), nullable=True),
        sa.Column("last_result", sa.JSON(), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    for table in ("monitors", "jobs", "learned_patterns", "optimization_episodes",
                  "optimization_records"):
        op.drop_table(table)  # drops the table's indexes with it
