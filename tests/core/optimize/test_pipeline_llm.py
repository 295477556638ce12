"""With a provider answering (a loopback server speaking the OpenAI protocol), the pipeline
returns LLM candidates beside rule candidates, each verified and measured like them; a
wrong LLM rewrite never comes back validated."""

from __future__ import annotations

import json
import uuid

import pytest

from core.optimize.pipeline import OptimizeRequest, optimize_source
from tests.core.llm.conftest import FakeOpenAIServer

SOURCE = '''def count_common(a: list[int], b: list[int]) -> int:
    n = 0
    for x in a:
        if x in b:
            n += 1
    return n


count_common(list(range(400)), list(range(200, 600)))
'''
GOOD = "def count_common(a: list[int], b: list[int]) -> int:\n    bs = set(b)\n    return sum(1 for x in a if x in bs)\n"
WRONG = "def count_common(a: list[int], b: list[int]) -> int:\n    return len(set(a) & set(b))\n"


@pytest.fixture
def server():
    server = FakeOpenAIServer(api_key="sk-or-pipeline-test").start()
    yield server
    server.stop()


def _answer(code: str) -> dict:
    return {"content": json.dumps({"candidates": [
        {"code": code, "explanation": "use a set", "action_type": "data_structure_optimization"}]})}


def _settings(configure_settings, server: FakeOpenAIServer):
    # Answers and cool-downs are kept per key prefix: a fresh prefix makes every test ask.
    return configure_settings(OPENROUTER_API_KEY=server.api_key, OPENROUTER_BASE_URL=server.base_url,
                              LLM_TIMEOUT_SECONDS=10, REDIS_KEY_PREFIX=f"velox-test-{uuid.uuid4().hex}")


@pytest.mark.slow
@pytest.mark.parametrize("code, wrong", [(GOOD, False), (WRONG, True)])
def test_llm_candidates_are_verified_beside_rule_candidates(configure_settings, server, code, wrong):
    from core.storage.migrate import upgrade_database

    settings = _settings(configure_settings, server)
    upgrade_database(settings.database_url, quiet=True)
    server.responder = lambda model, body, headers: _answer(code)
    outcome = optimize_source(OptimizeRequest(code=SOURCE, max_suggestions=10), settings=settings)
    body = outcome.to_response()

    assert server.requests, "the provider was asked"
    assert body["llm_provider"] == "openrouter"
    assert body["llm_model"] == settings.OPENROUTER_PRIMARY_MODEL
    llm = [a for a in body["attempts"] if a["rule_id"].startswith("llm:")]
    rules = [a for a in body["attempts"] if not a["rule_id"].startswith("llm:")]
    assert llm and rules, body["attempts"]
    if wrong:
        assert all(a["validation_status"] == "not_equivalent" for a in llm), llm
        assert not any(s["evidence"]["rule_id"].startswith("llm:") for s in body["suggestions"])
    else:
        assert all(a["validation_status"] not in {"not_equivalent", "crashed", "syntax_error"} for a in llm), llm
    for suggestion in body["suggestions"]:
        assert suggestion["validation_status"] == "validated"


def test_provider_down_falls_back_to_rules_and_says_no_llm(configure_settings, server):
    from core.storage.migrate import upgrade_database

    settings = _settings(configure_settings, server)
    upgrade_database(settings.database_url, quiet=True)
    server.responder = lambda model, body, headers: {"status": 500}
    outcome = optimize_source(OptimizeRequest(code=SOURCE, run_validation=False), settings=settings)
    assert server.requests
    assert outcome.llm_provider is None
    assert outcome.attempts and all(not a["rule_id"].startswith("llm:") for a in outcome.attempts)
