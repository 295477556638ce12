"""OpenAPI 3 document built from the routes and their pydantic models.

Decorate a view with ``@api_doc(...)`` to describe it; ``/openapi.json`` walks the app's
URL map, so every blueprint's routes appear (undecorated ones with their docstring).
``/openapi.json`` and ``/docs`` exist only when ``ENABLE_API_DOCS`` is true.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api.schemas import ErrorResponse

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_ATTR = "_velox_public"
DOC_ATTR = "_velox_api_doc"


def public(fn: F) -> F:
    """Mark a view as reachable without ``X-API-Token``."""
    setattr(fn, PUBLIC_ATTR, True)
    return fn


def api_doc(
    *,
    summary: str,
    request: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    responses: dict[int, type[BaseModel] | str] | None = None,
    tags: list[str] | None = None,
) -> Callable[[F], F]:
    """Describe a view for the OpenAPI document. ``responses`` maps status → model (or a
    description); error responses (4xx/5xx) share the ``ErrorResponse`` schema."""

    def mark(fn: F) -> F:
        setattr(fn, DOC_ATTR, {
            "summary": summary, "request": request, "query": query,
            "responses": responses or {}, "tags": tags or [],
        })
        return fn

    return mark


_CONVERTER = re.compile(r"<(?:[a-z_]+:)?([A-Za-z_][A-Za-z0-9_]*)>")


def build_openapi(app: Flask) -> dict[str, Any]:
    settings = app.config["VELOX_SETTINGS"]
    docs: list[tuple[str, str, Callable[..., Any], dict[str, Any]]] = []
    models: set[type[BaseModel]] = {ErrorResponse}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, DOC_ATTR, None) or {
            "summary": (view.__doc__ or rule.endpoint).strip().splitlines()[0],
            "request": None, "query": None, "responses": {}, "tags": [],
        }
        for model in (meta["request"], *meta["responses"].values()):
            if isinstance(model, type) and issubclass(model, BaseModel):
                models.add(model)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            docs.append((_CONVERTER.sub(r"{\1}", rule.rule), method.lower(), view, meta))

    ordered = sorted(models, key=lambda m: m.__name__)
    _, top = models_json_schema([(m, "serialization") for m in ordered],
                                ref_template="#/components/schemas/{model}")
    schemas = top.get("$defs", {})

    def ref(model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    error_content = {"application/json": {"schema": ref(ErrorResponse)}}
    paths: dict[str, dict[str, Any]] = {}
    for path, method, view, meta in docs:
        op: dict[str, Any] = {
            "summary": meta["summary"],
            "operationId": f"{method}_{view.__name__}",
            "responses": {},
        }
        if meta["tags"]:
            op["tags"] = meta["tags"]
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{([^}]+)}", path)
        ]
        query_model = meta["query"]
        if query_model is not None:
            for name, field in query_model.model_fields.items():
                params.append({"name": name, "in": "query", "required": field.is_required(),
                               "description": field.description or "",
                               "schema": query_model.model_json_schema()["properties"][name]})
        if params:
            op["parameters"] = params
        if meta["request"] is not None:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": ref(meta["request"])}}}
        for status, target in sorted(meta["responses"].items()):
            if isinstance(target, str):
                op["responses"][str(status)] = {"description": target}
            else:
                op["responses"][str(status)] = {
                    "description": target.__doc__.strip().splitlines()[0]
                    if target.__doc__ else target.__name__,
                    "content": {"application/json": {"schema": ref(target)}},
                }
        if not getattr(view, PUBLIC_ATTR, False) and settings.REQUIRE_AUTH_TOKEN:
            op["security"] = [{"ApiToken": []}]
            op["responses"].setdefault("401", {"description": "missing or wrong X-API-Token",
                                               "content": error_content})
        if meta["request"] is not None or query_model is not None:
            op["responses"].setdefault("422", {"description": "invalid fields",
                                               "content": error_content})
        op["responses"].setdefault("429", {"description": "rate limited", "content": error_content})
        if not op["responses"]:
            op["responses"]["200"] = {"description": "OK"}
        paths.setdefault(path, {})[method] = op

    return {
        "openapi": "3.1.0",
        "info": {"title": settings.APP_NAME, "version": settings.APP_VERSION},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "ApiToken": {"type": "apiKey", "in": "header", "name": "X-API-Token"}
            },
        },
    }


docs_bp = Blueprint("docs", __name__)


@docs_bp.get("/openapi.json")
@public
def openapi_json() -> Response:
    """The OpenAPI 3 document."""
    return jsonify(build_openapi(current_app))


@docs_bp.get("/docs")
@public
def docs_page() -> Response:
    """A self-contained HTML page listing every operation (no external assets)."""
    spec = build_openapi(current_app)
    rows = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            request_ref = body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            statuses = ", ".join(op["responses"])
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}"
                f"</code></td><td>{html.escape(op['summary'])}</td>"
                f"<td>{html.escape(request_ref)}</td><td>{html.escape(statuses)}</td></tr>"
            )
    title = html.escape(f"{spec['info']['title']} {spec['info']['version']}")
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title} API</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 10px;"
        "border-bottom:1px solid #ddd;text-align:left}</style></head><body>"
        f"<h1>{title} API</h1><p>Machine-readable: <a href='/openapi.json'>/openapi.json</a>."
        " Send <code>X-API-Token</code> when the server requires it.</p>"
        "<table><tr><th>method</th><th>path</th><th>summary</th><th>request body</th>"
        f"<th>responses</th></tr>{''.join(rows)}</table></body></html>"
    )
    return Response(page, mimetype="text/html")
