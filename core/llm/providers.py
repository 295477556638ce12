"""LLM provider tiers from settings, and one call to one tier through langchain.

Tier order (a tier without configuration is skipped):

1. ``openai`` direct — only when ``DEFAULT_LLM_PROVIDER=openai`` and ``OPENAI_API_KEY`` is set
   (the guide's "Option 2"); base URL ``OPENAI_BASE_URL`` or OpenAI's public one.
2. ``openrouter-primary`` — ``OPENROUTER_API_KEY`` + ``OPENROUTER_PRIMARY_MODEL``.
3. ``openrouter-secondary`` — same key, ``OPENROUTER_SECONDARY_MODEL`` (skipped when it names
   the primary model: the same call twice is not a fallback).
4. ``ollama`` — only when ``OLLAMA_BASE_URL`` is set. The settings default is None on
   purpose: Velox never waits on a local server nobody started. An operator who runs Ollama
   sets ``OLLAMA_BASE_URL=http://localhost:11434`` as the guide shows.

With ``DEFAULT_LLM_PROVIDER=ollama`` the Ollama tier moves to the front.

Every client is built with ``max_retries=0`` and the ``LLM_TIMEOUT_SECONDS`` timeout: the
fallback between tiers is ours, not the SDK's.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from core.settings import Settings

OPENAI_PUBLIC_BASE_URL = "https://api.openai.com/v1"
TEMPERATURE = 0.2


@dataclass(frozen=True, slots=True)
class Tier:
    name: str  # openai, openrouter-primary, openrouter-secondary, ollama
    provider: str  # openai, openrouter, ollama
    model: str
    base_url: str
    api_key: str | None = None  # never logged, never returned by configured_tiers

    @property
    def health_id(self) -> str:
        """Stable id of (provider, model, endpoint) for the shared cool-down state."""
        raw = f"{self.provider}|{self.model}|{self.base_url}"
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    def public(self) -> dict[str, str]:
        return {
            "name": self.name,
            "provider": self.provider,
            "model": self.model,
            "base_url": redact_url(self.base_url),
        }


def tiers_from_settings(settings: Settings) -> list[Tier]:
    """The configured tiers, in the order they are tried."""
    tiers: list[Tier] = []
    if settings.DEFAULT_LLM_PROVIDER == "openai" and settings.OPENAI_API_KEY:
        tiers.append(
            Tier(
                name="openai",
                provider="openai",
                model=settings.OPENAI_MODEL,
                base_url=settings.OPENAI_BASE_URL or OPENAI_PUBLIC_BASE_URL,
                api_key=settings.OPENAI_API_KEY,
            )
        )
    if settings.OPENROUTER_API_KEY:
        models = [("openrouter-primary", settings.OPENROUTER_PRIMARY_MODEL)]
        if settings.OPENROUTER_SECONDARY_MODEL != settings.OPENROUTER_PRIMARY_MODEL:
            models.append(("openrouter-secondary", settings.OPENROUTER_SECONDARY_MODEL))
        tiers.extend(
            Tier(
                name=name,
                provider="openrouter",
                model=model,
                base_url=settings.OPENROUTER_BASE_URL,
                api_key=settings.OPENROUTER_API_KEY,
            )
            for name, model in models
        )
    if settings.OLLAMA_BASE_URL:
        ollama = Tier(
            name="ollama",
            provider="ollama",
            model=settings.OLLAMA_MODEL,
            base_url=settings.OLLAMA_BASE_URL,
        )
        if settings.DEFAULT_LLM_PROVIDER == "ollama":
            tiers.insert(0, ollama)
        else:
            tiers.append(ollama)
    return tiers


def configured_tiers(settings: Settings) -> list[dict[str, str]]:
    """Tiers for ``/health/details``: name, provider, model, base_url — never keys."""
    return [tier.public() for tier in tiers_from_settings(settings)]


def redact_url(url: str) -> str:
    """Drop user:password from a URL (Ollama accepts credentials in its base URL)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


class ProviderError(Exception):
    """A call to a tier failed; ``kind`` is the LLMAttempt outcome it maps to."""

    def __init__(self, kind: str, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status_code = status_code


def build_chat_model(tier: Tier, timeout: float) -> Any:
    """The langchain chat model for a tier (imported lazily: langchain is slow to import)."""
    if tier.provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=tier.model,
            base_url=tier.base_url,
            temperature=TEMPERATURE,
            client_kwargs={"timeout": timeout},
        )
    from langchain_openai import ChatOpenAI

    headers = {"X-Title": "Velox"} if tier.provider == "openrouter" else None
    return ChatOpenAI(
        model=tier.model,
        base_url=tier.base_url,
        api_key=tier.api_key,
        timeout=timeout,
        max_retries=0,
        temperature=TEMPERATURE,
        # OpenRouter and OpenAI-compatible servers speak chat completions; never let the
        # model name route the call to the Responses API.
        use_responses_api=False,
        default_headers=headers,
    )


def call_tier(tier: Tier, messages: list[Any], *, timeout: float) -> str:
    """Send the messages to the tier and return the answer's text.

    ``timeout`` bounds the whole call: the HTTP client's timeout bounds each wait for
    bytes, and the Ollama stream is also cut when its total time passes the timeout.
    Raises ProviderError on anything but a complete answer.
    """
    try:
        model = build_chat_model(tier, timeout)
        if tier.provider == "ollama":
            return _stream_text(model, messages, timeout)
        return _text_of(model.invoke(messages))
    except ProviderError:
        raise
    except Exception as exc:  # classified into a ProviderError, never swallowed
        raise classify_error(exc, secrets=[tier.api_key]) from exc


def _stream_text(model: Any, messages: list[Any], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    parts: list[str] = []
    stream = model.stream(messages)
    try:
        for chunk in stream:
            parts.append(_text_of(chunk))
            if time.monotonic() > deadline:
                raise ProviderError("timeout", f"answer not complete after {timeout:g} s")
    finally:
        stream.close()
    return "".join(parts)


def _text_of(message: Any) -> str:
    text = message.text
    return text if isinstance(text, str) else str(text)


def classify_error(exc: BaseException, *, secrets: Sequence[str | None] = ()) -> ProviderError:
    """Map an SDK/transport exception to a ProviderError with a one-line message."""
    import openai
    from ollama import ResponseError

    message = _one_line(f"{type(exc).__name__}: {exc}", secrets)
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return ProviderError("timeout", message)
    if isinstance(exc, openai.APIStatusError):
        return ProviderError("http_error", message, exc.status_code)
    if isinstance(exc, ResponseError):
        status = exc.status_code if isinstance(exc.status_code, int) and exc.status_code > 0 else None
        return ProviderError("http_error" if status else "bad_response", message, status)
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError | ConnectionError):
        return ProviderError("connection_error", message)
    return ProviderError("bad_response", message)


def _one_line(text: str, secrets: Sequence[str | None] = ()) -> str:
    for secret in secrets:
        if secret and len(secret) >= 8:  # shorter ones are no real key; replacing mangles
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text[:300]


def answer_fingerprint(tier: Tier, messages: list[Any]) -> str:
    """Hash of provider, model and prompt: the answer cache key's body."""
    payload = json.dumps(
        {
            "provider": tier.provider,
            "model": tier.model,
            "messages": [[m.type, m.content] for m in messages],
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
