"""X-API-Token auth and rate limits (memory and Redis storage)."""

from __future__ import annotations

import pytest
import redis

from api.app import create_app
from core.settings import Settings

TOKEN = "s3cret-token"


@pytest.fixture
def secured(configure_settings) -> Settings:
    from core.storage.migrate import upgrade_database

    settings = configure_settings(REQUIRE_AUTH_TOKEN="true", API_AUTH_TOKEN=TOKEN)
    upgrade_database(settings.database_url, quiet=True)
    return settings


def test_open_endpoints_need_no_token(secured: Settings):
    client = create_app(secured).test_client()
    assert client.get("/").status_code == 200
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize("path", ["/health/details", "/jobs", "/jobs/job_1_deadbeef"])
def test_missing_token_is_401(secured: Settings, path: str):
    response = create_app(secured).test_client().get(path)
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "unauthorized" and "X-API-Token" in body["message"]


def test_wrong_token_is_401_and_right_token_200(secured: Settings):
    client = create_app(secured).test_client()
    wrong = client.get("/jobs", headers={"X-API-Token": TOKEN + "x"})
    assert wrong.status_code == 401 and "wrong X-API-Token" in wrong.get_json()["message"]
    assert client.get("/jobs", headers={"X-API-Token": TOKEN}).status_code == 200
    assert client.post("/scan", json={}, headers={"X-API-Token": "é"}).status_code == 401


def test_auth_off_means_open(sqlite_settings: Settings):
    assert create_app(sqlite_settings).test_client().get("/jobs").status_code == 200


def test_rate_limit_is_429_with_retry_after(configure_settings):
    from core.storage.migrate import upgrade_database

    settings = configure_settings(RATE_LIMIT_REQUESTS_PER_MINUTE=3)
    upgrade_database(settings.database_url, quiet=True)
    client = create_app(settings).test_client()
    assert [client.get("/jobs").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/jobs")
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"] == "rate_limited" and "RATE_LIMIT_REQUESTS_PER_MINUTE" in body["message"]
    assert int(response.headers["Retry-After"]) > 0
    # Liveness probes are never throttled.
    assert all(client.get("/health").status_code == 200 for _ in range(5))


def test_valid_token_has_its_own_bucket_but_made_up_tokens_do_not(configure_settings):
    from core.storage.migrate import upgrade_database

    settings = configure_settings(RATE_LIMIT_REQUESTS_PER_MINUTE=2, REQUIRE_AUTH_TOKEN="true",
                                  API_AUTH_TOKEN=TOKEN)
    upgrade_database(settings.database_url, quiet=True)
    client = create_app(settings).test_client()
    # Guessing tokens from one address uses that address's bucket: no free guesses.
    codes = [client.get("/jobs", headers={"X-API-Token": f"guess{i}"}).status_code
             for i in range(3)]
    assert codes == [401, 401, 429]
    ok = {"X-API-Token": TOKEN}
    assert [client.get("/jobs", headers=ok).status_code for _ in range(3)] == [200, 200, 429]


def test_redis_storage_is_shared_between_app_processes(distributed_settings: Settings,
                                                        configure_settings, redis_url: str,
                                                        redis_key_prefix: str):
    """Two apps (as two gunicorn workers would be) share one counter in Redis."""
    settings = configure_settings(RATE_LIMIT_REQUESTS_PER_MINUTE=3)
    first = create_app(settings).test_client()
    second = create_app(settings).test_client()
    codes = [first.get("/jobs").status_code, second.get("/jobs").status_code,
             first.get("/jobs").status_code, second.get("/jobs").status_code]
    assert codes == [200, 200, 200, 429]
    keys = redis.Redis.from_url(redis_url).keys(f"*{redis_key_prefix}:ratelimit*")
    assert keys, "rate-limit counters should live in Redis under the key prefix"
