"""Loopback HTTP servers that speak the providers' protocols, and settings that point at them.

``openai_server`` speaks OpenAI chat completions (``POST <base>/chat/completions`` →
``choices[0].message.content``), which OpenRouter and OpenAI both serve. ``ollama_server``
speaks Ollama's ``POST /api/chat``: a JSON body with ``stream`` true (the default that
langchain-ollama sends; the answer is NDJSON chunks, the last one ``"done": true``) or false
(one JSON object).

A server asks its ``responder(model, body, headers)`` what to do; the responder returns a
dict:
- ``content``: the assistant's text (default "")
- ``status``: HTTP status (default 200); an error status sends the provider's error body
- ``raw``: bytes sent as the body instead of a well-formed answer (garbage)
- ``delay``: seconds to wait before answering (slow provider)
- ``chunk_delay``: Ollama streaming only, seconds between chunks
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.settings import Settings

Responder = Callable[[str, dict, dict], dict]


class FakeProviderServer:
    """A threaded HTTP server on 127.0.0.1 (ephemeral port) that records every request."""

    protocol = "base"

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key  # when set, requests must carry "Authorization: Bearer <key>"
        self.requests: list[dict[str, Any]] = []
        self.responder: Responder = lambda model, body, headers: {"content": ""}
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output quiet

            def do_GET(self) -> None:  # noqa: N802
                self._reply(404, {"error": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_unparsed": raw.decode("utf-8", "replace")}
                headers = {k.lower(): v for k, v in self.headers.items()}
                with owner._lock:
                    owner.requests.append({"path": self.path, "headers": headers, "body": body})
                    owner.in_flight += 1
                    owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
                try:
                    owner.handle(self, body, headers)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)
                finally:
                    with owner._lock:
                        owner.in_flight -= 1

            def _reply(self, status: int, obj: Any, content_type: str = "application/json") -> None:
                data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> FakeProviderServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # cut any sleeping slow answer short
        self._server.shutdown()
        self._server.server_close()

    def wait(self, seconds: float) -> None:
        if seconds:
            self._stop.wait(seconds)

    def requests_for(self, model: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["body"].get("model") == model]

    def handle(self, handler: Any, body: dict, headers: dict) -> None:
        raise NotImplementedError


class FakeOpenAIServer(FakeProviderServer):
    """OpenAI chat completions, as OpenRouter and OpenAI serve them."""

    protocol = "openai"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def handle(self, handler: Any, body: dict, headers: dict) -> None:
        if handler.path.rstrip("/") != "/v1/chat/completions":
            handler._reply(404, {"error": {"message": f"no route {handler.path}", "code": 404}})
            return
        if self.api_key and headers.get("authorization") != f"Bearer {self.api_key}":
            handler._reply(
                401, {"error": {"message": "Invalid API key provided", "type": "auth", "code": 401}}
            )
            return
        model = body.get("model", "")
        spec = self.responder(model, body, headers)
        self.wait(spec.get("delay", 0))
        if "raw" in spec:
            handler._reply(spec.get("status", 200), spec["raw"], "application/json")
            return
        status = spec.get("status", 200)
        if status != 200:
            handler._reply(
                status,
                {"error": {"message": f"upstream failure {status}", "type": "server_error"}},
            )
            return
        handler._reply(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": spec.get("content", "")},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            },
        )


class FakeOllamaServer(FakeProviderServer):
    """Ollama's /api/chat, streaming NDJSON (chunked) or a single JSON object."""

    protocol = "ollama"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, handler: Any, body: dict, headers: dict) -> None:
        if handler.path != "/api/chat":
            handler._reply(404, {"error": f"no route {handler.path}"})
            return
        model = body.get("model", "")
        spec = self.responder(model, body, headers)
        self.wait(spec.get("delay", 0))
        status = spec.get("status", 200)
        if "raw" in spec:
            handler._reply(status, spec["raw"], "application/x-ndjson")
            return
        if status != 200:
            handler._reply(status, {"error": f"model runner failed ({status})"})
            return
        content = spec.get("content", "")
        created = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
        final = {
            "model": model,
            "created_at": created,
            "done": True,
            "done_reason": "stop",
            "total_duration": 1000,
            "load_duration": 10,
            "prompt_eval_count": 10,
            "prompt_eval_duration": 100,
            "eval_count": 10,
            "eval_duration": 100,
        }
        if body.get("stream", True) is False:
            handler._reply(
                200, {**final, "message": {"role": "assistant", "content": content}}
            )
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-ndjson")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        pieces = [content[i : i + 40] for i in range(0, len(content), 40)]
        for piece in pieces:
            line = {
                "model": model,
                "created_at": created,
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            _write_chunk(handler, json.dumps(line).encode() + b"\n")
            self.wait(spec.get("chunk_delay", 0))
        final_line = {**final, "message": {"role": "assistant", "content": ""}}
        _write_chunk(handler, json.dumps(final_line).encode() + b"\n")
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()


def _write_chunk(handler: Any, data: bytes) -> None:
    handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    handler.wfile.flush()


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(api_key="sk-or-test-" + uuid.uuid4().hex).start()
    yield server
    server.stop()


@pytest.fixture
def ollama_server() -> Iterator[FakeOllamaServer]:
    server = FakeOllamaServer().start()
    yield server
    server.stop()


# Every LLM-related variable, unconfigured: tests opt in to what they need so nothing
# from the environment or a .env file leaks in.
UNCONFIGURED: dict[str, Any] = {
    "OPENROUTER_API_KEY": None,
    "OPENROUTER_BASE_URL": "http://127.0.0.1:9/v1",
    "OPENROUTER_PRIMARY_MODEL": "openai/gpt-4o-mini",
    "OPENROUTER_SECONDARY_MODEL": "anthropic/claude-3.5-sonnet",
    "OPENAI_API_KEY": None,
    "OPENAI_BASE_URL": None,
    "OPENAI_MODEL": "gpt-4o-mini",
    "OLLAMA_BASE_URL": None,
    "OLLAMA_MODEL": "llama3",
    "DEFAULT_LLM_PROVIDER": "openrouter",
    "LLM_TIMEOUT_SECONDS": 5.0,
    "REDIS_URL": None,
    "REDIS_KEY_PREFIX": "velox-test",
}


def make_settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **{**UNCONFIGURED, **overrides})  # type: ignore[call-arg]


@pytest.fixture
def llm_settings() -> Callable[..., Settings]:
    return make_settings


@pytest.fixture
def llm_redis_url(redis_url: str) -> str:
    """The session's real Redis (tests/conftest.py)."""
    return redis_url


@pytest.fixture
def redis_prefix(redis_url: str, redis_key_prefix: str) -> Iterator[str]:
    """A key prefix unique to this test (under the session's); its keys are deleted after."""
    import redis

    prefix = f"{redis_key_prefix}_llm_{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()
