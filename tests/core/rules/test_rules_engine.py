"""The registry and `propose_rewrites`: ordering, one candidate per (rule, function), imports,
detector pairing with the real analyzer, bad input and failing rules."""

from __future__ import annotations

import logging
import re

import pytest

from core.actions import PRODUCTION_ACTION_TYPES
from core.analysis import analyze_source
from core.analysis.detectors import DETECTORS
from core.analysis.model import FileAnalysis
from core.rules import RULES, RULES_BY_ID, propose_rewrites
from core.rules.base import ModuleContext, Rule
from core.rules.engine import run_rules

FIB = '''def fibonacci(n):
    if n <= 1:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)
'''


def test_registry_shape() -> None:
    assert len(RULES) >= 20
    ids = [r.id for r in RULES]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    known_detectors = {d.id for d in DETECTORS}
    for rule in RULES:
        assert re.fullmatch(r"VXR\d{3}", rule.id)
        assert rule.action_type in PRODUCTION_ACTION_TYPES
        assert rule.action_type != "no_change"
        assert set(rule.detector_ids) <= known_detectors, rule.id
        assert rule.description and rule.reasoning
        assert "Bad::" in rule.doc() and "Good::" in rule.doc()
        assert rule.effort in ("low", "medium", "high")


def test_rule_class_validates_its_metadata() -> None:
    with pytest.raises(ValueError, match="unknown action type"):

        class _Bad(Rule):  # noqa: F841 - defining it is the test
            id = "VXR999"
            name = "bad"
            action_type = "made_up"
            detector_ids = ()
            description = reasoning = "x"

    with pytest.raises(ValueError, match="must look like"):

        class _BadId(Rule):  # noqa: F841
            id = "R1"
            name = "bad"
            action_type = "algorithm_change"
            detector_ids = ()
            description = reasoning = "x"


def test_guide_fibonacci_gets_lru_cache_like_the_guide() -> None:
    (cand,) = propose_rewrites(FIB, rule_ids=["VXR001"])
    assert cand.optimized_code.startswith(
        "from functools import lru_cache\n\n@lru_cache(maxsize=None)\ndef fibonacci(n):"
    )
    assert cand.action_type == "caching_strategy"
    assert cand.target_functions == ["fibonacci"]
    assert cand.origin == "rule"
    ns: dict = {}
    exec(compile(cand.optimized_code, "<fib>", "exec"), ns)  # noqa: S102 - our own rewrite
    assert ns["fibonacci"](80) == 23416728348467685


def test_one_candidate_per_rule_and_function() -> None:
    source = FIB + "\n\n" + FIB.replace("fibonacci", "lucas")
    cands = propose_rewrites(source, rule_ids=["VXR001"])
    assert [c.target_functions for c in cands] == [["fibonacci"], ["lucas"]]
    first, second = cands
    assert first.optimized_code.count("@lru_cache") == 1
    assert "@lru_cache(maxsize=None)\ndef fibonacci" in first.optimized_code
    assert "@lru_cache(maxsize=None)\ndef lucas" in second.optimized_code


def test_methods_are_qualified_by_class() -> None:
    source = (
        "class Report:\n"
        "    def render(self, rows: list[str]) -> str:\n"
        "        out = ''\n"
        "        for r in rows:\n"
        "            out += r\n"
        "        return out\n"
    )
    (cand,) = propose_rewrites(source, rule_ids=["VXR004"])
    assert cand.target_functions == ["Report.render"]


def test_candidates_follow_the_policy_ranking() -> None:
    source = (
        FIB
        + "\n\ndef total(xs: list[int]) -> int:\n    return sum([x * 2 for x in xs])\n"
        + "\n\ndef cheapest(xs: list[int]) -> int:\n    return sorted(xs)[0]\n"
    )
    default = propose_rewrites(source)
    assert [c.rule_id for c in default] == ["VXR001", "VXR007", "VXR010"]  # registry order
    ranked = propose_rewrites(
        source, action_order=["generator_conversion", "sorting_optimization"]
    )
    # ranked types first in ranking order, the unranked caching rule last
    assert [c.action_type for c in ranked] == [
        "generator_conversion",
        "sorting_optimization",
        "caching_strategy",
    ]


def test_existing_imports_are_reused_not_duplicated() -> None:
    with_module = "import functools\n\n\n" + FIB
    (cand,) = propose_rewrites(with_module, rule_ids=["VXR001"])
    assert "@functools.lru_cache(maxsize=None)" in cand.optimized_code
    assert cand.optimized_code.count("import functools") == 1
    assert "from functools" not in cand.optimized_code

    with_name = "from functools import lru_cache as lc\n\n\n" + FIB
    (cand,) = propose_rewrites(with_name, rule_ids=["VXR001"])
    assert "@lc(maxsize=None)" in cand.optimized_code
    assert cand.optimized_code.count("import") == 1


def test_a_name_in_use_is_never_shadowed_by_an_import() -> None:
    # ``deque`` is a local name here, so the rule must spell collections.deque
    source = (
        "def bfs(start: str, graph: dict[str, list[str]]) -> list[str]:\n"
        "    deque = [start]\n"
        "    order = []\n"
        "    q = [start]\n"
        "    while q:\n"
        "        node = q.pop(0)\n"
        "        order.append(node)\n"
        "        q.extend(graph[node])\n"
        "    return order + deque\n"
    )
    (cand,) = propose_rewrites(source, rule_ids=["VXR005"])
    assert "q = collections.deque([start])" in cand.optimized_code
    assert cand.optimized_code.startswith("import collections\n")
    assert "deque = [start]" in cand.optimized_code


def test_future_import_and_docstring_stay_first() -> None:
    source = '"""Module doc."""\nfrom __future__ import annotations\n\n\n' + FIB
    (cand,) = propose_rewrites(source, rule_ids=["VXR001"])
    lines = cand.optimized_code.splitlines()
    assert lines[0] == '"""Module doc."""'
    assert lines[1] == "from __future__ import annotations"
    assert "from functools import lru_cache" in lines[2:4]


def test_detector_ids_come_from_the_real_analysis() -> None:
    analysis = analyze_source(FIB)
    assert any(f.detector_id == "VX103" for f in analysis.findings)
    (cand,) = propose_rewrites(FIB, analysis, rule_ids=["VXR001"])
    assert cand.detector_ids == ["VX103"]


def test_bad_input_yields_nothing() -> None:
    assert propose_rewrites("def broken(:\n    pass\n") == []
    assert propose_rewrites("") == []
    assert propose_rewrites(FIB, FileAnalysis(file_path="x.py", error="not UTF-8")) == []
    with pytest.raises(KeyError):
        propose_rewrites(FIB, rule_ids=["VXR999"])


class _Exploding(Rule):
    id = "VXR998"
    name = "exploding"
    action_type = "algorithm_change"
    detector_ids = ()
    description = reasoning = "raises"

    def rewrite_unit(self, ctx: ModuleContext, unit):  # type: ignore[no-untyped-def]
        raise RuntimeError("rule bug")


def test_a_failing_rule_is_skipped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    rules = [_Exploding(), RULES_BY_ID["VXR001"]]
    with caplog.at_level(logging.ERROR, logger="core.rules.engine"):
        cands = run_rules(FIB, rules)
    assert [c.rule_id for c in cands] == ["VXR001"]
    assert "VXR998 failed on fibonacci" in caplog.text
    with pytest.raises(RuntimeError, match="rule bug"):
        run_rules(FIB, rules, strict=True)


def test_candidate_to_dict_round_trips() -> None:
    (cand,) = propose_rewrites(FIB, rule_ids=["VXR001"])
    d = cand.to_dict()
    assert d["rule_id"] == "VXR001" and d["original_code"] == FIB
    assert d["needs_verification"] is True  # n is unannotated: hashability not proven
