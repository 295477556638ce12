"""propose_llm_candidates end to end against loopback servers that speak the providers'
protocols: tier order, fallback, timeouts, parsing, caching, cool-down, budget, limits."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from core.analysis.model import Finding
from core.llm import LLMCache, LLMRequest, propose_llm_candidates
from core.llm.types import ContextSnippet

SOURCE = '''"""Numbers."""
import math

SCALE = 2


def unrelated():
    return "not in the prompt"


def square(v):
    return v * v


def slow_sum(values):
    total = 0
    for v in values:
        total = total + square(v) * SCALE
    return total
'''

GOOD = "def slow_sum(values):\n    return SCALE * sum(v * v for v in values)\n"
GOOD_2 = "def slow_sum(values):\n    return sum(map(square, values)) * SCALE\n"
WRONG = "def slow_sum(values):\n    return sum(values) * SCALE\n"
IDENTICAL = (
    "def slow_sum(values):\n    total = 0  # same thing\n    for v in values:\n"
    "        total = total + square(v) * SCALE\n    return total\n"
)
RENAMED = "def fast_sum(values):\n    return SCALE * sum(v * v for v in values)\n"
RESIGNED = "def slow_sum(items):\n    return SCALE * sum(v * v for v in items)\n"

PRIMARY = "openai/gpt-4o-mini"
SECONDARY = "anthropic/claude-3.5-sonnet"

FINDING = Finding(
    detector_id="VX104",
    action_type="builtin_function_usage",
    severity="medium",
    message="accumulating loop: use sum() over a generator",
    line=17,
    col=4,
    end_line=18,
    end_col=45,
    function="slow_sum",
)


def answer(*codes: str, action: str = "builtin_function_usage") -> str:
    return json.dumps(
        {
            "candidates": [
                {"code": code, "explanation": f"Rewrite {i}. Uses builtins.", "action_type": action}
                for i, code in enumerate(codes, start=1)
            ]
        }
    )


def request(source: str = SOURCE, **kwargs) -> LLMRequest:
    kwargs.setdefault("findings", [FINDING])
    kwargs.setdefault("action_type", "builtin_function_usage")
    return LLMRequest(source=source, function_name="slow_sum", path="pkg/numbers.py", **kwargs)


@pytest.fixture
def all_tiers(openai_server, ollama_server, llm_settings):
    """Settings with OpenRouter (both models) on the fake OpenAI server, then Ollama."""

    def make(**overrides):
        return llm_settings(
            OPENROUTER_API_KEY=openai_server.api_key,
            OPENROUTER_BASE_URL=openai_server.base_url,
            OLLAMA_BASE_URL=ollama_server.base_url,
            **overrides,
        )

    return make


def by_model(**answers):
    """A responder answering per model: a spec dict, or a str meaning the content."""

    def respond(model, body, headers):
        spec = answers.get(model, {"status": 404})
        return {"content": spec} if isinstance(spec, str) else spec

    return respond


def test_primary_answers_good_rewrites(openai_server, ollama_server, all_tiers, caplog) -> None:
    openai_server.responder = by_model(**{PRIMARY: answer(GOOD, GOOD_2)})
    caplog.set_level(logging.INFO, logger="core.llm")
    result = propose_llm_candidates(request(), settings=all_tiers(), cache=LLMCache())
    assert (result.provider, result.model, result.tier) == ("openrouter", PRIMARY, "openrouter-primary")
    assert [a.outcome for a in result.attempts] == ["ok"]
    assert result.calls == 1 and not result.cached
    assert len(openai_server.requests) == 1 and ollama_server.requests == []
    assert len(result.candidates) == 2
    first = result.candidates[0]
    assert first.origin == "llm" and first.needs_verification is True
    assert first.rule_id == f"llm:openrouter/{PRIMARY}"
    assert first.action_type == "builtin_function_usage"
    assert first.target_functions == ["slow_sum"]
    assert first.detector_ids == ["VX104"]
    assert first.original_code == SOURCE
    assert first.optimized_code == SOURCE.replace(
        "    total = 0\n    for v in values:\n        total = total + square(v) * SCALE\n"
        "    return total\n",
        "    return SCALE * sum(v * v for v in values)\n",
    )
    assert first.description == "Rewrite 1"
    assert PRIMARY in first.reasoning
    assert f"LLM analysis completed using provider: openrouter (model {PRIMARY}" in caplog.text


def test_the_prompt_on_the_wire_carries_the_context(openai_server, all_tiers) -> None:
    openai_server.responder = by_model(**{PRIMARY: answer(GOOD)})
    cross = [ContextSnippet("caller", "pkg/report.py", "report", "def report(xs):\n    return slow_sum(xs)\n")]
    propose_llm_candidates(
        request(cross_file_context=cross, objective_weights={"runtime": 0.8, "memory": 0.2}, num_candidates=4),
        settings=all_tiers(),
        cache=LLMCache(),
    )
    [sent] = openai_server.requests
    system, user = sent["body"]["messages"]
    assert system["role"] == "system" and "signature" in system["content"]
    prompt = user["content"]
    assert "total = total + square(v) * SCALE" in prompt  # the function
    assert "def square(v):" in prompt and "SCALE = 2" in prompt  # what it references
    assert "unrelated" not in prompt and "import math" not in prompt  # what it does not
    assert "VX104 line 17" in prompt  # findings
    assert "`builtin_function_usage`" in prompt and "C-implemented builtin" in prompt
    assert "runtime 0.8, memory 0.2" in prompt
    assert "caller `report` in `pkg/report.py`" in prompt and "return slow_sum(xs)" in prompt
    assert "Return 4 different candidate" in prompt


def test_fallback_order_http_error_then_garbage_then_ollama(openai_server, ollama_server, all_tiers) -> None:
    openai_server.responder = by_model(
        **{PRIMARY: {"status": 500}, SECONDARY: {"raw": b"\x00garbage{{"}}
    )
    ollama_server.responder = by_model(llama3=answer(GOOD))
    result = propose_llm_candidates(request(), settings=all_tiers(), cache=LLMCache())
    assert [(a.tier, a.outcome) for a in result.attempts] == [
        ("openrouter-primary", "http_error"),
        ("openrouter-secondary", "bad_response"),
        ("ollama", "ok"),
    ]
    assert result.attempts[0].status_code == 500
    assert [r["body"]["model"] for r in openai_server.requests] == [PRIMARY, SECONDARY]
    assert len(ollama_server.requests) == 1
    assert (result.provider, result.model) == ("ollama", "llama3")
    assert result.candidates[0].rule_id == "llm:ollama/llama3"
    assert result.calls == 3 and len(result.errors) == 2


def test_a_slow_primary_times_out_and_the_secondary_answers(openai_server, all_tiers) -> None:
    openai_server.responder = by_model(
        **{PRIMARY: {"content": answer(GOOD), "delay": 3}, SECONDARY: answer(GOOD_2)}
    )
    result = propose_llm_candidates(
        request(), settings=all_tiers(LLM_TIMEOUT_SECONDS=0.5), cache=LLMCache()
    )
    assert [a.outcome for a in result.attempts] == ["timeout", "ok"]
    assert result.model == SECONDARY
    assert "sum(map(square, values))" in result.candidates[0].optimized_code


@pytest.mark.parametrize(
    ("bad_answer", "reason"),
    [
        ("I can't help with that.", "no code in the answer"),
        ({"content": None}, "no code in the answer"),  # a refusal with null content
        ("", "no code in the answer"),
        (answer(IDENTICAL), "identical to the original"),
        (answer(RENAMED), "renames the function"),
        (answer(RESIGNED), "changes the signature"),
        ("```python\ndef slow_sum(values):\n    return sum(values\n```", "does not parse"),
    ],
)
def test_unusable_answers_fall_through(openai_server, all_tiers, bad_answer, reason) -> None:
    openai_server.responder = by_model(**{PRIMARY: bad_answer, SECONDARY: answer(GOOD)})
    cache = LLMCache()
    result = propose_llm_candidates(request(), settings=all_tiers(), cache=cache)
    assert [a.outcome for a in result.attempts] == ["unusable", "ok"]
    assert reason in result.attempts[0].error
    assert result.model == SECONDARY and len(result.candidates) == 1
    # an unusable answer is not a provider failure: no cool-down builds up
    assert cache._failures == {}


def test_refused_candidates_are_reported_next_to_accepted_ones(openai_server, all_tiers) -> None:
    openai_server.responder = by_model(**{PRIMARY: answer(RENAMED, GOOD, GOOD, GOOD_2)})
    result = propose_llm_candidates(request(num_candidates=5), settings=all_tiers(), cache=LLMCache())
    assert len(result.candidates) == 2
    assert result.attempts[0].rejected == [
        "candidate 1: renames the function: defines 'fast_sum', not 'slow_sum'",
        "candidate 3: duplicate of an earlier candidate",
    ]
    trimmed = propose_llm_candidates(request(num_candidates=1), settings=all_tiers(), cache=LLMCache())
    assert len(trimmed.candidates) == 1


def test_no_tier_answers_means_no_llm(openai_server, ollama_server, all_tiers) -> None:
    openai_server.responder = lambda *a: {"status": 503}
    ollama_server.responder = lambda *a: {"content": "I'm sorry, I cannot help with that."}
    result = propose_llm_candidates(request(), settings=all_tiers(), cache=LLMCache())
    assert result.provider is None and result.model is None and result.candidates == []
    assert [a.outcome for a in result.attempts] == ["http_error", "http_error", "unusable"]
    assert json.loads(json.dumps(result.to_dict()))["provider"] is None


def test_no_provider_configured_returns_at_once_without_candidates(llm_settings, caplog) -> None:
    caplog.set_level(logging.INFO, logger="core.llm")
    result = propose_llm_candidates(request(), settings=llm_settings())
    assert result.provider is None and result.candidates == [] and result.attempts == []
    assert result.calls == 0
    assert result.errors == ["no LLM provider configured"]
    assert "completed using provider" not in caplog.text


def test_errors_never_carry_the_key(openai_server, llm_settings) -> None:
    key = "sk-or-v1-wrongwrongwrong"
    settings = llm_settings(OPENROUTER_API_KEY=key, OPENROUTER_BASE_URL=openai_server.base_url)
    result = propose_llm_candidates(request(), settings=settings, cache=LLMCache())
    assert [a.status_code for a in result.attempts] == [401, 401]
    assert key not in json.dumps(result.to_dict())


def test_direct_openai_when_it_is_the_default_provider(openai_server, llm_settings) -> None:
    openai_server.api_key = "sk-openai-direct"
    openai_server.responder = by_model(**{"gpt-4o": answer(GOOD)})
    settings = llm_settings(
        DEFAULT_LLM_PROVIDER="openai",
        OPENAI_API_KEY="sk-openai-direct",
        OPENAI_BASE_URL=openai_server.base_url,
        OPENAI_MODEL="gpt-4o",
    )
    result = propose_llm_candidates(request(), settings=settings, cache=LLMCache())
    assert (result.provider, result.model, result.tier) == ("openai", "gpt-4o", "openai")
    assert openai_server.requests[0]["headers"]["authorization"] == "Bearer sk-openai-direct"
    assert "x-title" not in openai_server.requests[0]["headers"]  # OpenRouter-only header


def test_ollama_only_streams_its_answer(ollama_server, llm_settings) -> None:
    ollama_server.responder = by_model(codellama="Here:\n```python\n" + GOOD + "```\n")
    settings = llm_settings(OLLAMA_BASE_URL=ollama_server.base_url, OLLAMA_MODEL="codellama")
    result = propose_llm_candidates(request(), settings=settings, cache=LLMCache())
    assert (result.provider, result.model) == ("ollama", "codellama")
    assert ollama_server.requests[0]["body"]["stream"] is True
    assert "SCALE * sum(v * v for v in values)" in result.candidates[0].optimized_code
    # no action type in a fenced answer: the request's ranked action is used
    assert result.candidates[0].action_type == "builtin_function_usage"


# Cost and load ------------------------------------------------------------------------


def test_a_repeated_request_is_served_from_the_memory_cache(openai_server, all_tiers) -> None:
    openai_server.responder = by_model(**{PRIMARY: answer(GOOD)})
    cache = LLMCache()
    settings = all_tiers()
    first = propose_llm_candidates(request(), settings=settings, cache=cache)
    second = propose_llm_candidates(request(), settings=settings, cache=cache)
    assert len(openai_server.requests) == 1
    assert second.cached and second.calls == 0
    assert [a.outcome for a in second.attempts] == ["cached"]
    assert [c.optimized_code for c in second.candidates] == [
        c.optimized_code for c in first.candidates
    ]
    other = SOURCE.replace("SCALE = 2", "SCALE = 3")
    propose_llm_candidates(request(other), settings=settings, cache=cache)
    assert len(openai_server.requests) == 2  # another prompt, another call


def test_the_redis_cache_is_shared_by_workers(openai_server, all_tiers, redis_prefix, llm_redis_url) -> None:
    import redis

    openai_server.responder = by_model(**{PRIMARY: answer(GOOD)})
    settings = all_tiers(REDIS_URL=llm_redis_url, REDIS_KEY_PREFIX=redis_prefix)
    worker_a = LLMCache(redis_url=llm_redis_url, key_prefix=redis_prefix)
    worker_b = LLMCache(redis_url=llm_redis_url, key_prefix=redis_prefix)
    propose_llm_candidates(request(), settings=settings, cache=worker_a)
    second = propose_llm_candidates(request(), settings=settings, cache=worker_b)
    assert len(openai_server.requests) == 1 and second.cached
    keys = redis.Redis.from_url(llm_redis_url).keys(f"{redis_prefix}:llm:answer:*")
    assert len(keys) == 1
    # with cache=None the process-wide cache for these settings uses the same Redis keys
    third = propose_llm_candidates(request(), settings=settings)
    assert third.cached and len(openai_server.requests) == 1


def test_unusable_answers_are_not_cached(openai_server, all_tiers) -> None:
    openai_server.responder = by_model(**{PRIMARY: "I can't help with that.", SECONDARY: answer(GOOD)})
    cache = LLMCache()
    propose_llm_candidates(request(), settings=all_tiers(), cache=cache)
    again = propose_llm_candidates(request(), settings=all_tiers(), cache=cache)
    # the primary is asked again (its refusal was not cached); the secondary's answer was
    assert [r["body"]["model"] for r in openai_server.requests] == [PRIMARY, SECONDARY, PRIMARY]
    assert [a.outcome for a in again.attempts] == ["unusable", "cached"]


@pytest.mark.parametrize("shared", [False, True])
def test_a_failing_provider_cools_down(openai_server, all_tiers, redis_prefix, llm_redis_url, shared) -> None:
    openai_server.responder = by_model(**{PRIMARY: {"status": 500}, SECONDARY: answer(GOOD)})

    def new_cache() -> LLMCache:  # a new worker each time when the state is in Redis
        return LLMCache(
            redis_url=llm_redis_url if shared else None,
            key_prefix=redis_prefix,
            failure_threshold=2,
            cooldown_seconds=600,
        )

    cache = new_cache()
    outcomes = []
    for i in range(4):
        source = SOURCE.replace("SCALE = 2", f"SCALE = {i + 2}")  # no cache hits
        result = propose_llm_candidates(
            request(source), settings=all_tiers(), cache=new_cache() if shared else cache
        )
        outcomes.append([a.outcome for a in result.attempts])
        assert result.model == SECONDARY
    assert outcomes == [
        ["http_error", "ok"],
        ["http_error", "ok"],
        ["cooling_down", "ok"],
        ["cooling_down", "ok"],
    ]
    assert len(openai_server.requests_for(PRIMARY)) == 2


def test_the_budget_of_calls_limits_the_fallback(openai_server, ollama_server, all_tiers) -> None:
    openai_server.responder = lambda *a: {"status": 500}
    ollama_server.responder = by_model(llama3=answer(GOOD))
    result = propose_llm_candidates(request(max_calls=2), settings=all_tiers(), cache=LLMCache())
    assert [a.outcome for a in result.attempts] == ["http_error", "http_error", "budget_exhausted"]
    assert result.provider is None and ollama_server.requests == []
    assert result.calls == 2


def test_concurrent_requests_respect_the_worker_limit(openai_server, all_tiers) -> None:
    openai_server.responder = lambda model, body, headers: {"content": answer(GOOD), "delay": 0.2}
    slots = threading.BoundedSemaphore(1)
    settings = all_tiers()
    results = []

    def one(i: int) -> None:
        source = SOURCE.replace("SCALE = 2", f"SCALE = {i + 2}")
        results.append(propose_llm_candidates(request(source), settings=settings, cache=LLMCache(), slots=slots))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 3 and all(r.provider == "openrouter" for r in results)
    assert len(openai_server.requests) == 3
    assert openai_server.max_in_flight == 1


def test_no_free_slot_means_busy_without_a_call(openai_server, all_tiers) -> None:
    openai_server.responder = by_model(**{PRIMARY: answer(GOOD)})
    slots = threading.BoundedSemaphore(1)
    slots.acquire()  # another request holds the only slot
    try:
        result = propose_llm_candidates(
            request(), settings=all_tiers(LLM_TIMEOUT_SECONDS=0.2), cache=LLMCache(), slots=slots
        )
    finally:
        slots.release()
    assert [a.outcome for a in result.attempts] == ["busy"]
    assert result.provider is None and openai_server.requests == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"function_name": "missing"}, "not found"),
        ({"source": "def slow_sum(:\n"}, "does not parse"),
        ({"num_candidates": 0}, "num_candidates"),
        ({"max_calls": 0}, "max_calls"),
    ],
)
def test_bad_requests_are_refused(llm_settings, kwargs, message) -> None:
    fields = {"source": SOURCE, "function_name": "slow_sum", **kwargs}
    with pytest.raises(ValueError, match=message):
        propose_llm_candidates(LLMRequest(**fields), settings=llm_settings())
