"""The answer cache and the provider cool-down: in memory, and in the real Redis."""

from __future__ import annotations

import socket
import time

import pytest
import redis

from core.llm.state import LLMCache


class FakeClock:
    """A clock the test moves by hand (in-memory state only reads time through it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_answers_expire_and_the_least_recent_is_evicted() -> None:
    clock = FakeClock()
    cache = LLMCache(ttl_seconds=10, max_entries=2, clock=clock)
    assert not cache.shared
    cache.put_answer("a", "answer a")
    cache.put_answer("b", "answer b")
    assert cache.get_answer("a") == "answer a"  # a is now the most recent
    cache.put_answer("c", "answer c")  # evicts b
    assert cache.get_answer("b") is None
    assert cache.get_answer("a") == "answer a" and cache.get_answer("c") == "answer c"
    clock.now += 10
    assert cache.get_answer("a") is None


def test_memory_cooldown_after_n_consecutive_failures() -> None:
    clock = FakeClock()
    cache = LLMCache(failure_threshold=3, cooldown_seconds=60, clock=clock)
    assert cache.record_failure("t") is False
    assert cache.record_failure("t") is False
    cache.record_success("t")  # not consecutive any more
    assert cache.record_failure("t") is False
    assert cache.record_failure("t") is False
    assert not cache.cooling_down("t")
    assert cache.record_failure("t") is True
    assert cache.cooling_down("t") and not cache.cooling_down("other")
    clock.now += 59
    assert cache.cooling_down("t")
    clock.now += 1
    assert not cache.cooling_down("t")
    assert cache.record_failure("t") is False  # the count started again


def test_memory_failures_outside_the_window_do_not_add_up() -> None:
    clock = FakeClock()
    cache = LLMCache(failure_threshold=2, failure_window_seconds=30, clock=clock)
    cache.record_failure("t")
    clock.now += 31
    assert cache.record_failure("t") is False
    assert cache.record_failure("t") is True


@pytest.mark.parametrize(
    "kwargs",
    [{"failure_threshold": 0}, {"ttl_seconds": 0}, {"cooldown_seconds": -1}],
)
def test_bad_parameters_are_refused(kwargs) -> None:
    with pytest.raises(ValueError):
        LLMCache(**kwargs)


def test_redis_answers_live_under_the_prefix_with_an_expiry(redis_prefix, llm_redis_url) -> None:
    url = llm_redis_url
    cache = LLMCache(redis_url=url, key_prefix=redis_prefix, ttl_seconds=120)
    assert cache.shared
    cache.put_answer("f1", "the answer")
    other_worker = LLMCache(redis_url=url, key_prefix=redis_prefix)
    assert other_worker.get_answer("f1") == "the answer"
    client = redis.Redis.from_url(url)
    key = f"{redis_prefix}:llm:answer:f1"
    assert client.get(key) == b"the answer"
    assert 0 < client.pttl(key) <= 120_000
    assert LLMCache(redis_url=url, key_prefix=redis_prefix + "-x").get_answer("f1") is None


def test_redis_cooldown_is_shared_by_workers_and_expires(redis_prefix, llm_redis_url) -> None:
    url = llm_redis_url
    worker_a = LLMCache(
        redis_url=url, key_prefix=redis_prefix, failure_threshold=2, cooldown_seconds=0.3
    )
    worker_b = LLMCache(
        redis_url=url, key_prefix=redis_prefix, failure_threshold=2, cooldown_seconds=0.3
    )
    assert worker_a.record_failure("tier") is False
    assert worker_b.record_failure("tier") is True  # the second failure, seen by another worker
    assert worker_a.cooling_down("tier") and worker_b.cooling_down("tier")
    deadline = time.monotonic() + 5
    while worker_a.cooling_down("tier") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not worker_a.cooling_down("tier")
    # success resets the count
    worker_a.record_failure("tier")
    worker_b.record_success("tier")
    assert worker_a.record_failure("tier") is False


def test_an_unreachable_redis_never_breaks_a_request(caplog) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cache = LLMCache(redis_url=f"redis://127.0.0.1:{port}/0", key_prefix="p")
    cache.put_answer("f", "x")
    assert cache.get_answer("f") is None
    assert cache.record_failure("t") is False
    assert cache.cooling_down("t") is False
    cache.record_success("t")
    assert "Redis" in caplog.text
