"""State the LLM tier keeps between requests: cached answers and provider health.

With ``REDIS_URL`` set both live in Redis under ``REDIS_KEY_PREFIX`` so every worker shares
them; otherwise in this process (an LRU of answers, a dict of failure counts). A Redis that
stops answering never breaks a request: the operation is skipped and logged.

Keys (``<p>`` is the prefix):
- ``<p>:llm:answer:<sha256 of provider, model, prompt>`` — the raw answer text, with expiry.
- ``<p>:llm:failures:<tier id>`` — consecutive failures of a tier.
- ``<p>:llm:cooldown:<tier id>`` — present while the tier rests after N failures in a row.

Also the per-process concurrency limit on provider calls (a semaphore).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from core.settings import Settings

log = logging.getLogger(__name__)

ANSWER_TTL_SECONDS = 7 * 24 * 3600
FAILURE_THRESHOLD = 3
COOLDOWN_SECONDS = 300.0
FAILURE_WINDOW_SECONDS = 3600.0  # failures older than this no longer count toward N
MEMORY_MAX_ANSWERS = 256
MAX_CONCURRENT_CALLS = 4  # provider calls in flight per worker process


class LLMCache:
    """Answer cache and provider cool-down, in Redis when a URL is given, else in memory."""

    def __init__(
        self,
        *,
        redis_url: str | None = None,
        key_prefix: str = "code_optimizer_ai",
        ttl_seconds: float = ANSWER_TTL_SECONDS,
        failure_threshold: int = FAILURE_THRESHOLD,
        cooldown_seconds: float = COOLDOWN_SECONDS,
        failure_window_seconds: float = FAILURE_WINDOW_SECONDS,
        max_entries: int = MEMORY_MAX_ANSWERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if ttl_seconds <= 0 or cooldown_seconds <= 0 or failure_window_seconds <= 0:
            raise ValueError("ttl_seconds, cooldown_seconds and failure_window_seconds must be > 0")
        self.key_prefix = key_prefix
        self.ttl_seconds = ttl_seconds
        self.failure_threshold = failure_threshold
        self.cooldown_seconds = cooldown_seconds
        self.failure_window_seconds = failure_window_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._failures: dict[str, tuple[int, float]] = {}  # id -> (count, last failure time)
        self._cooldown_until: dict[str, float] = {}
        self._redis: Any = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(
                redis_url,
                decode_responses=True,
                socket_timeout=2.0,
                socket_connect_timeout=2.0,
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMCache:
        """The process-wide cache for these settings (one per Redis URL and prefix)."""
        key = (settings.REDIS_URL, settings.REDIS_KEY_PREFIX)
        with _DEFAULTS_LOCK:
            cache = _DEFAULTS.get(key)
            if cache is None:
                cache = cls(redis_url=settings.REDIS_URL, key_prefix=settings.REDIS_KEY_PREFIX)
                _DEFAULTS[key] = cache
            return cache

    @property
    def shared(self) -> bool:
        """True when the state lives in Redis (shared by all workers)."""
        return self._redis is not None

    def _key(self, kind: str, ident: str) -> str:
        return f"{self.key_prefix}:llm:{kind}:{ident}"

    # Answers -----------------------------------------------------------------------

    def get_answer(self, fingerprint: str) -> str | None:
        if self._redis is not None:
            return self._redis_call("get", self._key("answer", fingerprint))
        with self._lock:
            entry = self._answers.get(fingerprint)
            if entry is None:
                return None
            expires, text = entry
            if self._clock() >= expires:
                del self._answers[fingerprint]
                return None
            self._answers.move_to_end(fingerprint)
            return text

    def put_answer(self, fingerprint: str, text: str) -> None:
        if self._redis is not None:
            self._redis_call(
                "set", self._key("answer", fingerprint), text, px=int(self.ttl_seconds * 1000)
            )
            return
        with self._lock:
            self._answers[fingerprint] = (self._clock() + self.ttl_seconds, text)
            self._answers.move_to_end(fingerprint)
            while len(self._answers) > self.max_entries:
                self._answers.popitem(last=False)

    # Provider health ---------------------------------------------------------------

    def cooling_down(self, tier_id: str) -> bool:
        if self._redis is not None:
            return bool(self._redis_call("exists", self._key("cooldown", tier_id)))
        with self._lock:
            until = self._cooldown_until.get(tier_id)
            if until is None:
                return False
            if self._clock() >= until:
                del self._cooldown_until[tier_id]
                return False
            return True

    def record_failure(self, tier_id: str) -> bool:
        """Count a failure; True when this one starts a cool-down."""
        if self._redis is not None:
            key = self._key("failures", tier_id)
            count = self._redis_call("incr", key)
            if count is None:
                return False
            self._redis_call("pexpire", key, int(self.failure_window_seconds * 1000))
            if int(count) >= self.failure_threshold:
                self._redis_call(
                    "set",
                    self._key("cooldown", tier_id),
                    "1",
                    px=max(1, int(self.cooldown_seconds * 1000)),
                )
                self._redis_call("delete", key)
                return True
            return False
        with self._lock:
            now = self._clock()
            count, last = self._failures.get(tier_id, (0, now))
            if now - last > self.failure_window_seconds:
                count = 0
            count += 1
            if count >= self.failure_threshold:
                self._cooldown_until[tier_id] = now + self.cooldown_seconds
                self._failures.pop(tier_id, None)
                return True
            self._failures[tier_id] = (count, now)
            return False

    def record_success(self, tier_id: str) -> None:
        if self._redis is not None:
            self._redis_call("delete", self._key("failures", tier_id))
            return
        with self._lock:
            self._failures.pop(tier_id, None)

    def _redis_call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            return getattr(self._redis, method)(*args, **kwargs)
        except redis.RedisError as exc:
            log.warning("LLM cache: Redis %s failed, continuing without it: %s", method, exc)
            return None


_DEFAULTS: dict[tuple[str | None, str], LLMCache] = {}
_DEFAULTS_LOCK = threading.Lock()

# One semaphore per worker process (Celery prefork children each get their own).
_CALL_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_CALLS)


def default_call_slots() -> threading.Semaphore:
    return _CALL_SLOTS
