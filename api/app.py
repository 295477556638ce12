"""The Flask app factory.

    from api.app import create_app
    app = create_app()            # settings from the environment / .env

Blueprints are listed in ``BLUEPRINTS`` as ``"module:attribute"``; add a resource with
one line. Every error is JSON (``api.errors``); ``X-API-Token`` auth and rate limits are in
``api.security``; ``/openapi.json`` and ``/docs`` are served only when ENABLE_API_DOCS.
"""

from __future__ import annotations

import importlib
import logging

from flask import Blueprint, Flask

from api.errors import register_error_handlers
from api.openapi import docs_bp
from api.security import init_security
from core.settings import Settings, get_settings

log = logging.getLogger("velox.api")

# One line per resource. Order only matters for `GET /`'s listing.
BLUEPRINTS: list[str] = [
    "api.blueprints.health:bp",
    "api.blueprints.jobs:bp",
    "api.blueprints.scan:bp",
    "api.blueprints.optimize:bp",
    "api.blueprints.train:bp",
    "api.blueprints.metrics:bp",
    "api.blueprints.repository:bp",
    "api.blueprints.monitor:bp",
]


def _load_blueprint(target: str) -> Blueprint:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr or "bp")


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app. ``settings`` default to ``get_settings()``; storage and the broker
    follow ``settings.database_url`` / ``settings.broker_url``."""
    settings = settings or get_settings()
    app = Flask("velox")
    app.config.update(
        VELOX_SETTINGS=settings,
        SECRET_KEY=settings.SECRET_KEY,
        DEBUG=settings.DEBUG,
        TESTING=settings.TESTING,
        MAX_CONTENT_LENGTH=settings.MAX_UPLOAD_SIZE_BYTES,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    register_error_handlers(app)
    app.extensions["velox_limiter"] = init_security(app, settings)
    for target in BLUEPRINTS:
        app.register_blueprint(_load_blueprint(target))
    if settings.ENABLE_API_DOCS:
        app.register_blueprint(docs_bp)

    from core.storage.db import is_sqlite
    from core.storage.migrate import ensure_database

    if is_sqlite(settings.database_url):
        # Embedded default: the SQLite file is created and migrated on first start.
        # PostgreSQL is migrated explicitly (velox db upgrade) by the operator.
        ensure_database(settings.database_url)
    return app
