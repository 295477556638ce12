"""Every error the API returns is JSON: ``{"error", "message", "fields"}``.

``error`` is a stable code, ``message`` one sentence saying what to fix, ``fields`` the
request fields at fault (``[{"field": "directory", "message": "..."}]``, empty when none).
A 500 never shows internals; the traceback goes to the log.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("velox.api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """Raise from a view to answer with a JSON error."""

    def __init__(self, status: int, message: str, *, error: str | None = None,
                 fields: list[dict[str, str]] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error or _CODES.get(status, "error")
        self.fields = fields or []
        self.extra = extra or {}


def error_response(status: int, message: str, *, error: str | None = None,
                   fields: list[dict[str, str]] | None = None,
                   extra: dict[str, Any] | None = None) -> tuple[Response, int]:
    body: dict[str, Any] = {
        "error": error or _CODES.get(status, "error"),
        "message": message,
        "fields": fields or [],
    }
    body.update(extra or {})
    return jsonify(body), status


def _http_message(exc: HTTPException) -> str:
    code = exc.code or 500
    if code == 404:
        return f"no such endpoint: {request.method} {request.path} (GET / lists the endpoints)"
    if code == 405:
        methods = set(exc.valid_methods or []) - {"OPTIONS", "HEAD"}
        allowed = ", ".join(sorted(methods))
        return f"method {request.method} is not allowed on {request.path}; use {allowed}"
    if code == 413:
        from flask import current_app

        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return (f"request body is larger than MAX_UPLOAD_SIZE_BYTES ({limit} bytes); "
                "send less or raise the limit")
    if code == 429:
        return (f"rate limit exceeded ({exc.description}); slow down or raise "
                "RATE_LIMIT_REQUESTS_PER_MINUTE")
    return str(exc.description or exc.name)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> tuple[Response, int]:
        return error_response(exc.status, exc.message, error=exc.error, fields=exc.fields,
                              extra=exc.extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        response, _ = error_response(code, _http_message(exc))
        response.status_code = code
        # Keep headers the exception carries (Allow on 405, Retry-After on 429).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal error; the server log has the details")
