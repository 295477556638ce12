"""The app's contract: /health shape, service info, JSON errors, size limits, docs switch."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from api.app import BLUEPRINTS, create_app
from api.errors import ApiError
from api.validation import check_inline_code
from core.settings import Settings


@pytest.fixture
def client(sqlite_settings: Settings):
    return create_app(sqlite_settings).test_client()


def test_health_has_exactly_the_guide_fields(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"status", "timestamp", "version"}
    assert body["status"] == "healthy" and body["version"] == "1.0.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["timestamp"])


def test_service_info_lists_mode_and_endpoints(client):
    body = client.get("/").get_json()
    assert body["service"] == "VeloxOptimizer" and body["mode"] == "embedded"
    assert {"GET /health", "GET /jobs/<job_id>", "POST /scan"} <= set(body["endpoints"])
    assert body["docs"] is None


def test_blueprint_list_is_one_line_per_resource():
    assert all(re.fullmatch(r"api\.blueprints\.\w+:bp", entry) for entry in BLUEPRINTS)


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert set(body) >= {"error", "message", "fields"}
    assert body["error"] == code and body["message"]
    return body


def test_unknown_path_is_json_404(client):
    body = _assert_error(client.get("/nope"), 404, "not_found")
    assert "/nope" in body["message"]


def test_wrong_method_is_json_405_naming_the_allowed_one(client):
    response = client.delete("/health")
    body = _assert_error(response, 405, "method_not_allowed")
    assert "use GET" in body["message"] and "GET" in response.headers["Allow"]


@pytest.mark.parametrize("payload", ["{not json", '{"directory": "x",}', "\xff\xfe"])
def test_malformed_json_is_400(client, payload):
    response = client.post("/scan", data=payload.encode("latin-1"),
                           content_type="application/json")
    assert "not valid JSON" in _assert_error(response, 400, "invalid_json")["message"]


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "3"])
def test_non_object_json_is_400(client, payload):
    response = client.post("/scan", data=payload, content_type="application/json")
    assert "must be a JSON object" in _assert_error(response, 400, "invalid_json")["message"]


def test_bad_fields_are_422_naming_each_field(client):
    response = client.post("/scan", json={"include_metrics": "yes", "max_files": 0,
                                          "directroy": "typo"})
    body = _assert_error(response, 422, "validation_error")
    named = {f["field"] for f in body["fields"]}
    assert named == {"directory", "include_metrics", "max_files", "directroy"}
    for field in named:
        assert field in body["message"]


def test_empty_body_names_the_required_field(client):
    response = client.post("/scan")
    body = _assert_error(response, 422, "validation_error")
    assert body["fields"] == [{"field": "directory", "message": "Field required"}]


def test_oversized_body_is_413(configure_settings):
    settings = configure_settings(MAX_UPLOAD_SIZE_BYTES=200)
    client = create_app(settings).test_client()
    response = client.post("/scan", json={"directory": "x" * 500})
    body = _assert_error(response, 413, "payload_too_large")
    assert "MAX_UPLOAD_SIZE_BYTES (200 bytes)" in body["message"]
    assert client.post("/scan", json={"directory": "x" * 50}).status_code != 413


def test_inline_code_limit_helper_is_413(configure_settings):
    settings = configure_settings(MAX_INLINE_CODE_CHARS=10)
    app = create_app(settings)
    with app.test_request_context("/"):
        check_inline_code("x = 1")
        with pytest.raises(ApiError) as info:
            check_inline_code("x = 12345678", field="code")
    assert info.value.status == 413
    assert "MAX_INLINE_CODE_CHARS (10)" in info.value.message
    assert info.value.fields == [{"field": "code", "message": "longer than 10 characters"}]


def test_unexpected_error_is_500_without_internals(sqlite_settings: Settings, caplog):
    app: Flask = create_app(sqlite_settings)

    @app.get("/explode")
    def explode():
        raise RuntimeError("password=hunter2 in /srv/secret/path.py")

    response = app.test_client().get("/explode")
    body = _assert_error(response, 500, "internal_error")
    assert "hunter2" not in response.get_data(as_text=True)
    assert "secret" not in body["message"]
    assert "hunter2" in caplog.text  # the log has the details


def test_docs_are_off_by_default(client):
    _assert_error(client.get("/openapi.json"), 404, "not_found")
    _assert_error(client.get("/docs"), 404, "not_found")


def test_openapi_document_comes_from_the_models(configure_settings):
    from jsonschema import Draft202012Validator

    settings = configure_settings(ENABLE_API_DOCS="true", REQUIRE_AUTH_TOKEN="true",
                                  API_AUTH_TOKEN="tok")
    client = create_app(settings).test_client()
    spec = client.get("/openapi.json").get_json()  # public, like /docs
    assert spec["openapi"].startswith("3.")
    scan = spec["paths"]["/scan"]["post"]
    assert scan["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ScanRequest"}
    assert set(scan["responses"]) >= {"200", "202", "401", "403", "422", "429"}
    assert scan["security"] == [{"ApiToken": []}]
    assert "security" not in spec["paths"]["/health"]["get"]
    assert spec["paths"]["/jobs/{job_id}"]["get"]["parameters"][0]["name"] == "job_id"
    limit = [p for p in spec["paths"]["/jobs"]["get"]["parameters"] if p["name"] == "limit"][0]
    assert limit["schema"]["maximum"] == 100
    schemas = spec["components"]["schemas"]
    assert set(schemas["ScanRequest"]["properties"]) == {
        "directory", "file_pattern", "include_metrics", "min_complexity", "max_files",
        "background"}
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "/scan" in page.get_data(as_text=True)
