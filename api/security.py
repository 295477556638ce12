"""Token authentication and rate limiting.

Auth: when ``REQUIRE_AUTH_TOKEN`` is true every view but those marked ``@public``
(``/`` and ``/health``) needs ``X-API-Token`` equal to ``API_AUTH_TOKEN`` (constant-time
comparison). Rate limit: ``RATE_LIMIT_REQUESTS_PER_MINUTE`` per valid token, else per
client address; counters live in Redis when ``REDIS_URL`` is set (shared by every
gunicorn worker), otherwise in process memory (per worker process).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from api.errors import ApiError
from api.openapi import PUBLIC_ATTR
from core.settings import Settings

TOKEN_HEADER = "X-API-Token"


def _token_matches(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _require_token() -> None:
    settings: Settings = current_app.config["VELOX_SETTINGS"]
    if not settings.REQUIRE_AUTH_TOKEN or request.method == "OPTIONS":
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, PUBLIC_ATTR, False):
        return
    given = request.headers.get(TOKEN_HEADER)
    if not given:
        raise ApiError(401, f"missing {TOKEN_HEADER} header; send the API token",
                       fields=[{"field": TOKEN_HEADER, "message": "missing"}])
    if not _token_matches(given, settings.API_AUTH_TOKEN):
        raise ApiError(401, f"wrong {TOKEN_HEADER}; send the token configured as API_AUTH_TOKEN",
                       fields=[{"field": TOKEN_HEADER, "message": "does not match"}])


def rate_limit_key() -> str:
    """A valid token is its own bucket; anything else is keyed by the client address (so a
    made-up token cannot buy a fresh bucket)."""
    settings: Settings = current_app.config["VELOX_SETTINGS"]
    given = request.headers.get(TOKEN_HEADER)
    if _token_matches(given, settings.API_AUTH_TOKEN):
        return "token:" + hashlib.sha256(given.encode("utf-8")).hexdigest()[:16]  # type: ignore[union-attr]
    return "addr:" + (get_remote_address() or "unknown")


def _exempt_from_rate_limit() -> bool:
    # Liveness probes hit /health constantly; they must never be throttled.
    return request.endpoint == "health.health"


def init_security(app: Flask, settings: Settings) -> Limiter:
    # The limiter's hook first, so requests with a wrong token are counted too (no free
    # token guessing), then the token check.
    limiter = Limiter(
        rate_limit_key,
        app=app,
        default_limits=[f"{settings.RATE_LIMIT_REQUESTS_PER_MINUTE} per minute"],
        default_limits_exempt_when=_exempt_from_rate_limit,
        storage_uri=settings.REDIS_URL or "memory://",
        key_prefix=f"{settings.REDIS_KEY_PREFIX}:ratelimit",
        headers_enabled=True,
        # Redis down: count in memory rather than fail every request.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        strategy="fixed-window",
    )
    app.before_request(_require_token)
    return limiter
