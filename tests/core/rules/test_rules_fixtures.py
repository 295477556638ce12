"""Every rule against its fixtures: exact expected output where it must fire, silence where
it must not, plus the properties every output must have (compiles, idempotent, the rule's
own metadata on the candidate).

Fixtures live in ``fixtures/VXRnnn/``: ``fire_<case>.py`` with ``fire_<case>.expected.py``,
and ``nofire_<case>.py``. A first line ``# expect: needs_verification`` says the rule must
mark that candidate for verification (and its absence that it must not).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from core.rules import RULES, RULES_BY_ID, propose_rewrites

FIXTURES = Path(__file__).parent / "fixtures"


def _cases(prefix: str) -> list[Path]:
    return sorted(
        p
        for p in FIXTURES.glob(f"VXR*/{prefix}_*.py")
        if not p.name.endswith(".expected.py")
    )


def _id(p: Path) -> str:
    return f"{p.parent.name}/{p.stem}"


@pytest.mark.parametrize("path", _cases("fire"), ids=_id)
def test_rule_fires_with_exact_output(path: Path) -> None:
    rule_id = path.parent.name
    source = path.read_text()
    expected = path.with_name(path.stem + ".expected.py").read_text()
    cands = propose_rewrites(source, rule_ids=[rule_id], strict=True)
    assert len(cands) == 1, [c.target_functions for c in cands]
    cand = cands[0]
    assert cand.optimized_code == expected
    assert cand.original_code == source
    assert cand.rule_id == rule_id
    assert cand.action_type == RULES_BY_ID[rule_id].action_type
    assert cand.target_functions and all(cand.target_functions)
    assert cand.needs_verification == source.startswith("# expect: needs_verification")
    if cand.needs_verification:
        assert "Not proven statically" in cand.reasoning
    compile(cand.optimized_code, str(path), "exec")
    # idempotent: the rule has nothing left to do on its own output
    assert propose_rewrites(cand.optimized_code, rule_ids=[rule_id], strict=True) == []


@pytest.mark.parametrize("path", _cases("nofire"), ids=_id)
def test_rule_does_not_fire(path: Path) -> None:
    rule_id = path.parent.name
    assert propose_rewrites(path.read_text(), rule_ids=[rule_id], strict=True) == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_both_kinds_of_fixture(rule) -> None:  # type: ignore[no-untyped-def]
    folder = FIXTURES / rule.id
    assert list(folder.glob("fire_*.expected.py")), f"{rule.id}: no firing fixture"
    assert list(folder.glob("nofire_*.py")), f"{rule.id}: no non-firing fixture"


def _doc_blocks(doc: str) -> tuple[str, str]:
    m = re.search(r"Bad::\n\n(.*?)\nGood::\n\n(.*)$", doc, re.S)
    assert m, "docstring must show 'Bad::' then 'Good::' code blocks"
    bad, good = (textwrap.dedent(b).strip() + "\n" for b in m.groups())
    return bad, good


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_docstring_bad_becomes_good(rule) -> None:  # type: ignore[no-untyped-def]
    """The documentation is an executable promise: the rule turns its Bad into its Good."""
    bad, good = _doc_blocks(rule.doc())
    cands = propose_rewrites(bad, rule_ids=[rule.id], strict=True)
    assert len(cands) == 1
    assert cands[0].optimized_code.strip() == good.strip()


def test_fixture_outputs_compile_for_all_rules_together() -> None:
    """Every rule run on every fixture (not only its own) yields code that compiles."""
    for path in _cases("fire") + _cases("nofire"):
        for cand in propose_rewrites(path.read_text(), strict=True):
            compile(cand.optimized_code, f"{path}:{cand.rule_id}", "exec")
