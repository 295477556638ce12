"""``velox db upgrade`` / ``velox db current``: the database schema (Alembic migrations)."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.engine import make_url


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "db",
        help="create or upgrade the database schema",
        description="Manage the schema of DATABASE_URL (default: the SQLite file data/velox.db).",
    )
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION",
                                    parser_class=type(parser))
    actions.required = True
    upgrade = actions.add_parser(
        "upgrade", help="apply every migration (prints the tables it created)",
        description="Bring the schema to the newest revision; safe to run again.")
    upgrade.set_defaults(handler=run_upgrade)
    current = actions.add_parser(
        "current", help="show the schema revision; exit 1 when an upgrade is due",
        description="Print the database's revision and the newest one the code knows.")
    current.set_defaults(handler=run_current)


def _where() -> str:
    from core.settings import get_settings

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


def _database_error(exc: Exception) -> int:
    detail = " ".join(str(getattr(exc, "orig", None) or exc).split())
    print(f"velox: cannot use the database {_where()}: {detail}", file=sys.stderr)
    return 1


def run_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from core.storage.migrate import format_listing, upgrade_database

    try:
        created = upgrade_database(quiet=True)
        print(format_listing(created))
    except SQLAlchemyError as exc:
        return _database_error(exc)
    return 0


def run_current(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from core.storage.migrate import current_revision, head_revision

    try:
        current = current_revision()
    except SQLAlchemyError as exc:
        return _database_error(exc)
    head = head_revision()
    print(f"database: {_where()}")
    print(f"current:  {current or '(none: never migrated)'}")
    print(f"head:     {head}")
    if current != head:
        print("run 'velox db upgrade' to bring the schema up to date", file=sys.stderr)
        return 1
    return 0
