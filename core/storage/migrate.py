"""Schema upgrades through the Alembic migrations shipped in ``core/storage/migrations``.

``velox db upgrade`` and the guide's entry point both land here::

    import asyncio
    from core.storage.migrate import create_database_schema
    asyncio.run(create_database_schema())

which prints the guide's listing::

    Created tables:
      • optimization_records
      ...
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect, text

from core.storage.db import get_engine
from core.storage.models import TABLE_NAMES

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
# Any fixed number: PostgreSQL advisory lock taken while upgrading, so that several
# processes starting together (gunicorn workers, Celery workers) migrate one at a time.
_PG_LOCK_KEY = 7_220_402


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "no Alembic revisions found"
    return head


def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _quiet_alembic(quiet: bool) -> Iterator[None]:
    logger = logging.getLogger("alembic")
    previous = logger.level
    if quiet:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


def upgrade_database(url: str | None = None, *, quiet: bool = False) -> list[str]:
    """Upgrade the schema to the newest revision; return the Velox tables this call created.

    Idempotent: a database already at head is left alone and ``[]`` is returned.
    """
    engine = get_engine(url)
    before = set(inspect(engine).get_table_names())
    cfg = _config()
    try:
        with _quiet_alembic(quiet), engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except sa_exc.OperationalError:
        # SQLite has no advisory lock: a concurrent process may have won the race.
        if current_revision(url) != head_revision():
            raise
    after = set(inspect(engine).get_table_names())
    return [name for name in TABLE_NAMES if name in after and name not in before]


def ensure_database(url: str | None = None) -> bool:
    """Upgrade only when the database is behind; True when an upgrade ran."""
    if current_revision(url) == head_revision():
        return False
    upgrade_database(url, quiet=True)
    return True


def format_listing(created: list[str], url: str | None = None) -> str:
    """The guide's "Created tables:" listing (or a line saying nothing was needed)."""
    if created:
        return "\n".join(["Created tables:", *(f"  • {name}" for name in created)])
    return f"Schema up to date at revision {current_revision(url)}; no tables created."


async def create_database_schema(url: str | None = None) -> list[str]:
    """The guide's entry point (kept callable via ``asyncio.run``): upgrade and print."""
    created = await asyncio.to_thread(upgrade_database, url, quiet=True)
    print(format_listing(created, url))
    return created
