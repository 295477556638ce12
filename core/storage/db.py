"""Database engines and sessions.

One engine per database URL per process, created on first use from
``get_settings().database_url`` (or an explicit URL). SQLite, the embedded default, gets
``check_same_thread=False`` (the API and the embedded executor share the engine across
threads), WAL journaling (readers do not block the writer) and a busy timeout; the
directory of the database file is created on demand.

Fork safety: a pooled connection must never be used by two processes. After ``fork`` the
child drops the pools it inherited without closing their sockets (closing them would end
the parent's sessions too); ``dispose_engine(close=False)`` does the same on demand and is
what the Celery ``worker_process_init`` signal calls.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from core.settings import get_settings

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _resolve_url(url: str | None) -> str:
    return url or get_settings().database_url


def is_sqlite(url: str | None = None) -> bool:
    return make_url(_resolve_url(url)).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _create(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        # SQLAlchemy 2.1 defaults to psycopg 3; the project ships psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg2")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if in_memory:
        # One shared connection, or every session would see its own empty database.
        kwargs["poolclass"] = StaticPool
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    if not in_memory:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """The process's engine for ``url`` (default: the configured database)."""
    resolved = _resolve_url(url)
    with _lock:
        engine = _engines.get(resolved)
        if engine is None:
            engine = _engines[resolved] = _create(resolved)
        return engine


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any exception.

    Objects stay readable after the block (``expire_on_commit=False``).
    """
    session = Session(bind=get_engine(url), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def dispose_engine(url: str | None = None, *, close: bool = True) -> None:
    """Drop pooled connections of one engine (``url``) or of all engines (``url=None``).

    ``close=False`` is for a freshly forked child: it forgets the inherited connections
    without closing them, so the parent's connections stay usable.
    """
    with _lock:
        engines = [_engines[url]] if url in _engines else ([] if url else list(_engines.values()))
        if close and url is None:
            _engines.clear()
        elif close and url:
            _engines.pop(url, None)
    for engine in engines:
        engine.dispose(close=close)


def _after_fork_in_child() -> None:
    # Runs in every forked child (Celery prefork, gunicorn workers, multiprocessing):
    # new lock (the parent's may have been held at fork time), fresh pools.
    global _lock
    _lock = threading.Lock()
    for engine in list(_engines.values()):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
