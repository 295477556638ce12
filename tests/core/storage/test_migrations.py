"""Alembic migrations: up on SQLite and PostgreSQL, the guide's listing, models in sync."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from api.cli import main as velox
from core.settings import Settings
from core.storage.db import dispose_engine, get_engine
from core.storage.migrate import (
    create_database_schema,
    current_revision,
    ensure_database,
    head_revision,
    upgrade_database,
)
from core.storage.models import TABLE_NAMES, Base
from tests.conftest import _pg_admin_connection


def _tables(url: str) -> set[str]:
    return set(inspect(get_engine(url)).get_table_names())


def test_upgrade_creates_every_table_on_sqlite(configure_settings, tmp_path: Path):
    settings = configure_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.db'}")
    created = upgrade_database()
    assert created == TABLE_NAMES
    assert set(TABLE_NAMES) <= _tables(settings.database_url)
    assert current_revision() == head_revision()
    assert upgrade_database() == []  # idempotent
    assert ensure_database() is False


def test_guide_entry_point_prints_created_tables(configure_settings, tmp_path: Path, capsys):
    configure_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'guide.db'}")
    created = asyncio.run(create_database_schema())
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Created tables:"
    assert out[1:] == [f"  • {name}" for name in TABLE_NAMES]
    assert created == TABLE_NAMES
    asyncio.run(create_database_schema())
    assert "no tables created" in capsys.readouterr().out


def test_upgrade_on_postgresql(configure_settings, pg_database_url: str):
    # A second database of our own, so the listing is of tables this call created.
    name = make_url(pg_database_url).database + "_mig"
    admin = _pg_admin_connection(pg_database_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = make_url(pg_database_url).set(database=name).render_as_string(hide_password=False)
    try:
        configure_settings(DATABASE_URL=url)
        assert current_revision() is None
        assert upgrade_database() == TABLE_NAMES
        assert current_revision() == head_revision()
        columns = {c["name"] for c in inspect(get_engine(url)).get_columns("jobs")}
        assert {"id", "kind", "status", "phase", "progress", "params", "result", "error",
                "attempts", "created_at", "started_at", "finished_at"} <= columns
        assert upgrade_database() == []
    finally:
        dispose_engine(url)
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_models_match_the_migrations(pg_database_url: str):
    """A model change without a migration fails here (autogenerate finds a difference)."""
    with get_engine(pg_database_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_cli_db_upgrade_and_current(configure_settings, tmp_path: Path, capsys):
    configure_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}")
    assert velox(["db", "current"]) == 1  # never migrated
    capsys.readouterr()
    assert velox(["db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Created tables:\n  • optimization_records")
    assert velox(["db", "current"]) == 0
    assert f"current:  {head_revision()}" in capsys.readouterr().out


def test_cli_db_upgrade_reports_unreachable_database(configure_settings, capsys):
    configure_settings(DATABASE_URL="postgresql://nobody:secret@127.0.0.1:1/none")
    assert velox(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("velox: cannot use the database postgresql://nobody:***@127.0.0.1:1/none")
    assert "secret" not in err
    assert len(err.strip().splitlines()) == 1


def test_settings_fixture_is_migrated(sqlite_settings: Settings):
    assert set(TABLE_NAMES) <= _tables(sqlite_settings.database_url)
