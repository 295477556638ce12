"""LLM candidates are never trusted: a provider (a loopback server speaking the OpenAI
protocol) answers, and every candidate goes through the verification sandbox. A wrong
rewrite must end ``not_equivalent``; a good one can end ``validated``."""

from __future__ import annotations

import json

import pytest

import core.verify as verify
from core.llm import LLMCache, LLMRequest, propose_llm_candidates

SOURCE = '''"""Set arithmetic done slowly."""


def count_common(a: list[int], b: list[int]) -> int:
    n = 0
    for x in a:
        if x in b:
            n += 1
    return n
'''

GOOD = "def count_common(a: list[int], b: list[int]) -> int:\n    bs = set(b)\n    return sum(1 for x in a if x in bs)\n"
WRONG_RETURN = "def count_common(a: list[int], b: list[int]) -> int:\n    return len(a)\n"
WRONG_DUPLICATES = "def count_common(a: list[int], b: list[int]) -> int:\n    return len(set(a) & set(b))\n"
WRONG_MUTATES = (
    "def count_common(a: list[int], b: list[int]) -> int:\n    bs = set(b)\n    a.sort()\n"
    "    return sum(1 for x in a if x in bs)\n"
)
MODEL = "openai/gpt-4o-mini"
# A large input makes the set rewrite's gain far above the noise floor.
CALL_INPUTS = {"count_common": [(list(range(600)), list(range(300, 900)))]}


def answer(*codes: str) -> str:
    return json.dumps(
        {"candidates": [{"code": c, "explanation": "Use a set.", "action_type": "data_structure_optimization"} for c in codes]}
    )


def propose(openai_server, llm_settings, content: str):
    openai_server.responder = lambda model, body, headers: {"content": content}
    settings = llm_settings(
        OPENROUTER_API_KEY=openai_server.api_key, OPENROUTER_BASE_URL=openai_server.base_url
    )
    result = propose_llm_candidates(
        LLMRequest(source=SOURCE, function_name="count_common", action_type="data_structure_optimization"),
        settings=settings,
        cache=LLMCache(),
    )
    assert result.provider == "openrouter" and result.model == MODEL
    return settings, result


def verify_candidate(settings, candidate):
    return verify.verify_and_measure(
        candidate.original_code,
        candidate.optimized_code,
        candidate.target_functions,
        settings=settings,
        call_inputs=CALL_INPUTS,
        options=verify.VerifyOptions(measure_budget_s=0.5),
    )


@pytest.mark.slow
def test_wrong_llm_rewrites_end_not_equivalent(openai_server, llm_settings) -> None:
    settings, result = propose(
        openai_server, llm_settings, answer(WRONG_RETURN, WRONG_DUPLICATES, WRONG_MUTATES)
    )
    assert len(result.candidates) == 3
    statuses = []
    for candidate in result.candidates:
        assert candidate.needs_verification and candidate.origin == "llm"
        outcome = verify_candidate(settings, candidate)
        statuses.append(outcome.validation_status)
    assert statuses == ["not_equivalent"] * 3


@pytest.mark.slow
def test_a_good_llm_rewrite_is_validated_with_measured_gain(openai_server, llm_settings) -> None:
    settings, result = propose(openai_server, llm_settings, answer(GOOD))
    [candidate] = result.candidates
    outcome = verify_candidate(settings, candidate)
    assert outcome.validation_status == "validated", outcome.reason
    assert outcome.calls_compared > 0
    assert outcome.speedup is not None and outcome.speedup > 1
