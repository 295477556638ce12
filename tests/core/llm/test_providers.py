"""Tier configuration, and one call per tier against loopback protocol servers."""

from __future__ import annotations

import json
import socket

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from core.llm import configured_tiers
from core.llm.providers import ProviderError, Tier, call_tier, redact_url, tiers_from_settings

MESSAGES = [SystemMessage(content="system text"), HumanMessage(content="user text")]


def test_no_configuration_means_no_tiers(llm_settings) -> None:
    assert tiers_from_settings(llm_settings()) == []
    assert configured_tiers(llm_settings()) == []


def test_default_order_is_openrouter_primary_secondary_then_ollama(llm_settings) -> None:
    settings = llm_settings(
        OPENROUTER_API_KEY="sk-or-secret-1",
        OPENROUTER_BASE_URL="https://openrouter.example/api/v1",
        OLLAMA_BASE_URL="http://localhost:11434",
        OPENAI_API_KEY="sk-openai-secret-2",  # not used: DEFAULT_LLM_PROVIDER is openrouter
    )
    assert configured_tiers(settings) == [
        {
            "name": "openrouter-primary",
            "provider": "openrouter",
            "model": "openai/gpt-4o-mini",
            "base_url": "https://openrouter.example/api/v1",
        },
        {
            "name": "openrouter-secondary",
            "provider": "openrouter",
            "model": "anthropic/claude-3.5-sonnet",
            "base_url": "https://openrouter.example/api/v1",
        },
        {
            "name": "ollama",
            "provider": "ollama",
            "model": "llama3",
            "base_url": "http://localhost:11434",
        },
    ]
    assert "secret" not in json.dumps(configured_tiers(settings))


def test_no_openrouter_key_means_ollama_only(llm_settings) -> None:
    settings = llm_settings(OLLAMA_BASE_URL="http://localhost:11434", OLLAMA_MODEL="codellama")
    assert [(t["name"], t["model"]) for t in configured_tiers(settings)] == [("ollama", "codellama")]


def test_ollama_is_not_tried_without_a_base_url(llm_settings) -> None:
    settings = llm_settings(OPENROUTER_API_KEY="k")
    assert [t["name"] for t in configured_tiers(settings)] == [
        "openrouter-primary",
        "openrouter-secondary",
    ]


def test_direct_openai_comes_first_when_it_is_the_default_provider(llm_settings) -> None:
    settings = llm_settings(
        DEFAULT_LLM_PROVIDER="openai",
        OPENAI_API_KEY="sk-openai-secret",
        OPENROUTER_API_KEY="sk-or-secret",
        OLLAMA_BASE_URL="http://localhost:11434",
    )
    tiers = configured_tiers(settings)
    assert [t["name"] for t in tiers] == [
        "openai",
        "openrouter-primary",
        "openrouter-secondary",
        "ollama",
    ]
    assert tiers[0]["base_url"] == "https://api.openai.com/v1"
    assert tiers[0]["model"] == "gpt-4o-mini"
    custom = llm_settings(
        DEFAULT_LLM_PROVIDER="openai",
        OPENAI_API_KEY="k",
        OPENAI_BASE_URL="http://127.0.0.1:1/v1",
        OPENAI_MODEL="gpt-4o",
    )
    assert configured_tiers(custom) == [
        {"name": "openai", "provider": "openai", "model": "gpt-4o", "base_url": "http://127.0.0.1:1/v1"}
    ]
    # OpenAI chosen but no key: that tier is skipped
    assert configured_tiers(llm_settings(DEFAULT_LLM_PROVIDER="openai")) == []


def test_ollama_first_when_it_is_the_default_provider(llm_settings) -> None:
    settings = llm_settings(
        DEFAULT_LLM_PROVIDER="ollama", OPENROUTER_API_KEY="k", OLLAMA_BASE_URL="http://h:1"
    )
    assert [t["name"] for t in configured_tiers(settings)] == [
        "ollama",
        "openrouter-primary",
        "openrouter-secondary",
    ]


def test_same_secondary_model_is_not_a_second_tier(llm_settings) -> None:
    settings = llm_settings(
        OPENROUTER_API_KEY="k", OPENROUTER_SECONDARY_MODEL="openai/gpt-4o-mini"
    )
    assert [t["name"] for t in configured_tiers(settings)] == ["openrouter-primary"]


def test_credentials_in_a_base_url_are_never_shown(llm_settings) -> None:
    settings = llm_settings(OLLAMA_BASE_URL="https://user:hunter2@ollama.internal:8443/base")
    assert configured_tiers(settings)[0]["base_url"] == "https://ollama.internal:8443/base"
    assert redact_url("http://localhost:11434") == "http://localhost:11434"


# Protocol: what the SDKs send, and how failures are classified --------------------------


def test_openai_protocol_request_shape(openai_server) -> None:
    openai_server.responder = lambda model, body, headers: {"content": f"answer from {model}"}
    tier = Tier("openrouter-primary", "openrouter", "openai/gpt-4o-mini", openai_server.base_url, openai_server.api_key)
    assert call_tier(tier, MESSAGES, timeout=5) == "answer from openai/gpt-4o-mini"
    [request] = openai_server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == f"Bearer {openai_server.api_key}"
    assert request["headers"]["x-stainless-retry-count"] == "0"
    body = request["body"]
    assert body["model"] == "openai/gpt-4o-mini"
    assert body["stream"] is False
    assert body["messages"] == [
        {"role": "system", "content": "system text"},
        {"role": "user", "content": "user text"},
    ]


def test_ollama_protocol_streams_ndjson(ollama_server) -> None:
    long_answer = "def f():\n    return 1\n" * 20  # several NDJSON chunks
    ollama_server.responder = lambda model, body, headers: {"content": long_answer}
    tier = Tier("ollama", "ollama", "llama3", ollama_server.base_url)
    assert call_tier(tier, MESSAGES, timeout=5) == long_answer
    [request] = ollama_server.requests
    assert request["path"] == "/api/chat"
    assert "authorization" not in request["headers"]
    body = request["body"]
    assert body["model"] == "llama3" and body["stream"] is True
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_http_errors_are_http_errors(openai_server, ollama_server, status) -> None:
    openai_server.responder = lambda *a: {"status": status}
    ollama_server.responder = lambda *a: {"status": status}
    for tier in (
        Tier("openai", "openai", "m", openai_server.base_url, openai_server.api_key),
        Tier("ollama", "ollama", "m", ollama_server.base_url),
    ):
        with pytest.raises(ProviderError) as info:
            call_tier(tier, MESSAGES, timeout=5)
        assert info.value.kind == "http_error" and info.value.status_code == status
    assert len(openai_server.requests) == 1  # max_retries=0: no SDK retry behind our back


def test_bad_key_is_an_http_error_whose_message_hides_the_key(openai_server) -> None:
    wrong = "sk-or-wrong-key-123456"
    tier = Tier("openrouter-primary", "openrouter", "m", openai_server.base_url, wrong)
    with pytest.raises(ProviderError) as info:
        call_tier(tier, MESSAGES, timeout=5)
    assert info.value.kind == "http_error" and info.value.status_code == 401
    assert wrong not in str(info.value)


@pytest.mark.parametrize(
    "raw", [b"<html>502 gateway</html>", b"", b'{"choices": []}', b'{"unexpected": true}']
)
def test_garbage_bodies_are_bad_responses(openai_server, ollama_server, raw) -> None:
    openai_server.responder = lambda *a: {"raw": raw}
    ollama_server.responder = lambda *a: {"raw": raw + b"\n"}  # not NDJSON chat chunks
    with pytest.raises(ProviderError) as info:
        call_tier(
            Tier("openai", "openai", "m", openai_server.base_url, openai_server.api_key),
            MESSAGES,
            timeout=5,
        )
    assert info.value.kind == "bad_response"
    with pytest.raises(ProviderError) as info:
        call_tier(Tier("ollama", "ollama", "m", ollama_server.base_url), MESSAGES, timeout=5)
    assert info.value.kind == "bad_response"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_a_connection_error() -> None:
    port = _closed_port()
    for tier in (
        Tier("openai", "openai", "m", f"http://127.0.0.1:{port}/v1", "k"),
        Tier("ollama", "ollama", "m", f"http://127.0.0.1:{port}"),
    ):
        with pytest.raises(ProviderError) as info:
            call_tier(tier, MESSAGES, timeout=2)
        assert info.value.kind == "connection_error"


def test_slow_answers_time_out(openai_server, ollama_server) -> None:
    openai_server.responder = lambda *a: {"content": "late", "delay": 3}
    ollama_server.responder = lambda *a: {"content": "late", "delay": 3}
    for tier in (
        Tier("openai", "openai", "m", openai_server.base_url, openai_server.api_key),
        Tier("ollama", "ollama", "m", ollama_server.base_url),
    ):
        with pytest.raises(ProviderError) as info:
            call_tier(tier, MESSAGES, timeout=0.5)
        assert info.value.kind == "timeout"


def test_a_trickling_ollama_stream_is_cut_at_the_total_timeout(ollama_server) -> None:
    # Every chunk arrives well within the HTTP read timeout, but the whole answer would take
    # 20 chunks x 0.2 s: the total deadline of the call cuts it.
    ollama_server.responder = lambda *a: {"content": "x" * 800, "chunk_delay": 0.2}
    with pytest.raises(ProviderError) as info:
        call_tier(Tier("ollama", "ollama", "m", ollama_server.base_url), MESSAGES, timeout=0.5)
    assert info.value.kind == "timeout"
