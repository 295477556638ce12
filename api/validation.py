"""Request helpers every blueprint uses: parse and validate a JSON body with a pydantic
model, confine a path to ``ALLOWED_CODE_ROOTS``, bound inline code, read settings.

    from api.validation import parse_body, require_allowed_path, check_inline_code

    body = parse_body(ScanRequest)                 # 400 bad JSON, 422 naming the fields
    root = require_allowed_path(body.directory, field="directory", kind="dir")  # 403/422
    check_inline_code(body.code)                   # 413 past MAX_INLINE_CODE_CHARS
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, TypeVar

from flask import current_app, request
from pydantic import BaseModel, ValidationError

from api.errors import ApiError
from core.settings import Settings

M = TypeVar("M", bound=BaseModel)


def current_settings() -> Settings:
    """The settings the running app was created with."""
    return current_app.config["VELOX_SETTINGS"]


def validation_fields(exc: ValidationError) -> list[dict[str, str]]:
    fields = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in err.get("loc", ())) or "(body)"
        message = err.get("msg", "invalid value")
        if err.get("type") == "extra_forbidden":
            message = "unknown field"
        fields.append({"field": loc, "message": message})
    return fields


def validate_model(model: type[M], data: object, *, what: str = "request body") -> M:
    """Validate ``data`` against ``model``; 422 naming every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = validation_fields(exc)
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        raise ApiError(422, f"invalid {what}: {summary}", fields=fields) from None


def parse_body(model: type[M]) -> M:
    """The request's JSON body validated by ``model``.

    An empty body counts as ``{}`` (so missing required fields are named in the 422).
    Malformed JSON or a non-object body is a 400; a body over MAX_UPLOAD_SIZE_BYTES a 413.
    """
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    if not raw.strip():
        data: object = {}
    else:
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            where = (f" at line {exc.lineno} column {exc.colno}"
                     if isinstance(exc, json.JSONDecodeError) else "")
            raise ApiError(400, f"request body is not valid JSON: {detail}{where}",
                           error="invalid_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"request body must be a JSON object, got {type(data).__name__}",
                       error="invalid_json")
    return validate_model(model, data)


def parse_query(model: type[M]) -> M:
    """Query-string parameters validated by ``model`` (422 naming the parameter)."""
    return validate_model(model, request.args.to_dict(), what="query parameters")


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def require_allowed_path(
    value: str,
    *,
    field: str,
    kind: Literal["dir", "file", "any"] = "any",
    settings: Settings | None = None,
) -> Path:
    """Resolve ``value`` (``..`` and symlinks included) and require it inside one of
    ``ALLOWED_CODE_ROOTS``: 403 outside, 422 when missing or of the wrong kind.

    A relative path is taken relative to the server's working directory, as the roots are.
    """
    settings = settings or current_settings()
    if "\x00" in value:
        raise ApiError(422, f"{field} contains a NUL byte",
                       fields=[{"field": field, "message": "contains a NUL byte"}])
    try:
        resolved = Path(value).expanduser().resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # symlink loop, unreadable component
        raise ApiError(422, f"{field} cannot be resolved: {exc}",
                       fields=[{"field": field, "message": "cannot be resolved"}]) from None
    roots = settings.allowed_code_roots
    if not any(_inside(resolved, root) for root in roots):
        raise ApiError(
            403,
            f"{field} {value!r} is outside ALLOWED_CODE_ROOTS; "
            "use a path under an allowed root or extend ALLOWED_CODE_ROOTS",
            fields=[{"field": field, "message": "outside ALLOWED_CODE_ROOTS"}],
        )
    problem = None
    if not resolved.exists():
        problem = "does not exist"
    elif kind == "dir" and not resolved.is_dir():
        problem = "is not a directory"
    elif kind == "file" and not resolved.is_file():
        problem = "is not a file"
    if problem:
        raise ApiError(422, f"{field} {value!r} {problem}",
                       fields=[{"field": field, "message": problem}])
    return resolved


def check_inline_code(code: str, *, field: str = "code", settings: Settings | None = None) -> None:
    """413 when inline code is longer than MAX_INLINE_CODE_CHARS."""
    settings = settings or current_settings()
    limit = settings.MAX_INLINE_CODE_CHARS
    if len(code) > limit:
        raise ApiError(
            413,
            f"{field} has {len(code)} characters, more than MAX_INLINE_CODE_CHARS ({limit}); "
            "send a smaller piece or use a file path",
            fields=[{"field": field, "message": f"longer than {limit} characters"}],
        )
