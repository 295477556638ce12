"""Engines and sessions: SQLite pragmas and data directory, rollback, fork safety."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import text

from core.settings import Settings
from core.storage.db import dispose_engine, get_engine, is_sqlite, session_scope
from core.storage.jobs import create_job, get_job


def test_sqlite_file_directory_is_created_and_wal_is_on(configure_settings, tmp_path: Path):
    db_file = tmp_path / "nested" / "deeper" / "velox.db"
    configure_settings(DATABASE_URL=f"sqlite:///{db_file}")
    engine = get_engine()
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert db_file.is_file()
    assert is_sqlite()
    dispose_engine(f"sqlite:///{db_file}")


def test_engine_is_cached_per_url(sqlite_settings: Settings):
    assert get_engine() is get_engine(sqlite_settings.database_url)


def test_session_scope_rolls_back_on_error(sqlite_settings: Settings):
    with pytest.raises(RuntimeError), session_scope() as session:
        session.execute(text("INSERT INTO monitors (id, directory, interval_seconds, "
                             "auto_optimize, active, created_at) VALUES "
                             "('m1', '/x', 5, 0, 1, '2026-01-01 00:00:00')"))
        raise RuntimeError("boom")
    with session_scope() as session:
        assert session.execute(text("SELECT count(*) FROM monitors")).scalar() == 0


def test_session_scope_commits(sqlite_settings: Settings):
    with session_scope() as session:
        session.execute(text("INSERT INTO monitors (id, directory, interval_seconds, "
                             "auto_optimize, active, created_at) VALUES "
                             "('m1', '/x', 5, 0, 1, '2026-01-01 00:00:00')"))
    with session_scope() as session:
        assert session.execute(text("SELECT id FROM monitors")).scalar() == "m1"


def _child_reads_job(url: str, job_id: str, queue) -> None:  # runs in a forked child
    job = get_job(job_id, url=url)
    queue.put(job["status"] if job else None)


def test_forked_child_gets_its_own_connections(pg_settings: Settings):
    """The parent's pooled PostgreSQL connection survives a child that used the database."""
    url = pg_settings.database_url
    job = create_job("ping", {}, status="queued", url=url)
    with get_engine(url).connect() as conn:  # put a live connection in the parent's pool
        conn.execute(text("SELECT 1"))
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_reads_job, args=(url, job["job_id"], queue))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == "queued"
    # Had the child reused (and closed) the inherited socket, this would fail.
    assert get_job(job["job_id"], url=url)["status"] == "queued"
