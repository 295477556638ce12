"""Parsing LLM answers into candidates, the refusals, and the LibCST splice."""

from __future__ import annotations

import ast
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.llm import parsing
from core.llm.parsing import RawCandidate, Rejected, check_and_splice, extract_candidates, locate

SOURCE = '''"""Demo module."""
from __future__ import annotations

import math

LIMIT = 10


def helper(x):
    return x * 2


def slow_sum(values, *, start=0):
    # sums the squares
    total = start
    for v in values:
        total = total + v * v
    return total


class Store:
    factor = 3

    def __init__(self, items):
        self.items = items

    # keep this comment
    def total(self):
        out = []
        for item in self.items:
            out.append(item * self.factor)
        return sum(out)


if __name__ == "__main__":
    print(slow_sum([1, 2, 3]))
'''

GOOD = "def slow_sum(values, *, start=0):\n    return start + sum(v * v for v in values)\n"


def run_module(code: str) -> dict:
    namespace: dict = {"__name__": "velox_test_module"}
    exec(compile(code, "<candidate>", "exec"), namespace)
    return namespace


# Extraction ---------------------------------------------------------------------------


def test_json_answer_gives_all_candidates_with_explanations() -> None:
    answer = json.dumps(
        {
            "candidates": [
                {"code": GOOD, "explanation": "Generator with sum.", "action_type": "builtin_function_usage"},
                {"code": "def slow_sum(values, *, start=0):\n    return 1\n", "explanation": "x"},
            ]
        }
    )
    found = extract_candidates(answer)
    assert [c.code.strip() for c in found] == [GOOD.strip(), "def slow_sum(values, *, start=0):\n    return 1"]
    assert found[0].explanation == "Generator with sum."
    assert found[0].action_type == "builtin_function_usage"


def test_json_inside_fence_and_prose_is_found() -> None:
    payload = json.dumps({"candidates": [{"code": GOOD, "explanation": "faster"}]})
    answer = f"Here you go:\n```json\n{payload}\n```\nHope it helps."
    assert [c.code.strip() for c in extract_candidates(answer)] == [GOOD.strip()]
    answer2 = f"Sure! {payload} Let me know."
    assert [c.code.strip() for c in extract_candidates(answer2)] == [GOOD.strip()]


def test_json_code_wrapped_in_fence_is_unwrapped() -> None:
    answer = json.dumps({"code": f"```python\n{GOOD}```", "explanation": "e"})
    assert [c.code.strip() for c in extract_candidates(answer)] == [GOOD.strip()]


def test_fenced_blocks_are_candidates_with_preceding_prose() -> None:
    answer = (
        "Option 1 uses a generator.\n```python\n" + GOOD + "```\n"
        "Option 2 uses math.fsum.\n```py\ndef slow_sum(values, *, start=0):\n"
        "    return start + math.fsum(v * v for v in values)\n```\n"
        "```bash\necho not code\n```\n"
    )
    found = extract_candidates(answer)
    assert len(found) == 2
    assert found[0].explanation == "Option 1 uses a generator."
    assert "fsum" in found[1].code and found[1].explanation == "Option 2 uses math.fsum."


def test_plain_code_answer_and_think_blocks() -> None:
    assert [c.code for c in extract_candidates(GOOD)] == [GOOD.strip()]
    answer = "<think>let me think about ```python\nbroken(```</think>\n" + GOOD
    assert [c.code for c in extract_candidates(answer)] == [GOOD.strip()]


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "I can't help with that.",
        "I'm sorry, but I cannot assist with optimizing this code.",
        "{not json at all",
        '{"candidates": "nope"}',
        '{"candidates": [{"code": 42}]}',
        "\x00\x01 garbage \ufffd",
        "```python\n```",
    ],
)
def test_refusals_and_garbage_give_no_candidates(answer: str) -> None:
    assert extract_candidates(answer) == []


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_extraction_never_raises_on_arbitrary_text(text: str) -> None:
    found = extract_candidates(text)
    assert isinstance(found, list)
    assert all(isinstance(c, RawCandidate) for c in found)


PROSE = st.text(
    alphabet=st.characters(blacklist_characters="`{}[]<>", blacklist_categories=("Cs",)),
    max_size=120,
)


@settings(max_examples=60, deadline=None)
@given(before=PROSE, after=PROSE)
def test_a_fenced_rewrite_survives_any_surrounding_prose(before: str, after: str) -> None:
    answer = f"{before}\n```python\n{GOOD}```\n{after}"
    found = extract_candidates(answer)
    assert found and found[0].code.strip() == GOOD.strip()
    target = locate(SOURCE, "slow_sum")
    spliced = check_and_splice(SOURCE, target, found[0])
    assert "sum(v * v for v in values)" in spliced.optimized_code


# Checks -------------------------------------------------------------------------------


def target(name: str = "slow_sum") -> parsing.Target:
    return locate(SOURCE, name)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("def slow_sum(values, *, start=0:\n    return 1\n", "does not parse"),
        ("def fast_sum(values, *, start=0):\n    return start + sum(values)\n", "renames the function"),
        ("x = 1\n", "does not define"),
        ("def slow_sum(items, *, start=0):\n    return start + sum(items)\n", "signature"),
        ("def slow_sum(values, start=0):\n    return start + sum(values)\n", "signature"),
        ("def slow_sum(values, *, start=1):\n    return start + sum(values)\n", "signature"),
        ("async def slow_sum(values, *, start=0):\n    return 1\n", "signature"),
        ("def slow_sum(values, *, start=0, extra=None):\n    return 1\n", "signature"),
        (
            "def slow_sum(values, *, start=0):\n    total = start\n    for v in values:\n"
            "        total = total + v * v\n    return total\n",
            "identical",
        ),
        (
            'def slow_sum(values, *, start=0):\n    """Docs added."""\n    total = start  # c\n'
            "    for v in values:\n        total = (total + v * v)\n    return total\n",
            "identical",
        ),
        ("print('hi')\n" + GOOD, "unexpected top-level statement"),
        ("LIMIT = 99\n" + GOOD, "redefines existing name 'LIMIT'"),
        ("def helper(x):\n    return x + 2\n" + GOOD, "redefines existing name 'helper'"),
        ("import numpy as math\n" + GOOD, "import rebinds existing name 'math'"),
    ],
)
def test_bad_candidates_are_rejected_with_reason(code: str, reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        check_and_splice(SOURCE, target(), RawCandidate(code=code))


def test_annotations_may_change_without_counting_as_signature_change() -> None:
    code = "def slow_sum(values: list[int], *, start: int = 0) -> int:\n    return start + sum(v * v for v in values)\n"
    spliced = check_and_splice(SOURCE, target(), RawCandidate(code=code))
    assert run_module(spliced.optimized_code)["slow_sum"]([1, 2, 3], start=1) == 15


# Splicing -----------------------------------------------------------------------------


def test_splice_replaces_only_the_function_and_keeps_the_rest() -> None:
    spliced = check_and_splice(SOURCE, target(), RawCandidate(code=GOOD))
    new = spliced.optimized_code
    assert new.startswith('"""Demo module."""\nfrom __future__ import annotations\n')
    assert "# keep this comment" in new and 'if __name__ == "__main__":' in new
    assert "# sums the squares" not in new  # the old body is gone
    ns = run_module(new)
    assert ns["slow_sum"]([1, 2, 3]) == 14 and ns["helper"](2) == 4
    old_tree, new_tree = ast.parse(SOURCE), ast.parse(new)
    assert [type(s).__name__ for s in old_tree.body] == [type(s).__name__ for s in new_tree.body]


def test_splice_adds_imports_at_the_top_and_helpers_before_the_function() -> None:
    code = (
        "import math\n"  # already there: not repeated
        "from functools import reduce\n"
        "import operator\n\n"
        "_SQ = lambda v: v * v\n\n"
        "def slow_sum(values, *, start=0):\n"
        "    return reduce(operator.add, map(_SQ, values), start)\n"
    )
    spliced = check_and_splice(SOURCE, target(), RawCandidate(code=code))
    new = spliced.optimized_code
    assert spliced.added_imports == ("from functools import reduce", "import operator")
    assert new.count("import math") == 1
    lines = new.splitlines()
    # after the docstring and the existing import block, before LIMIT
    assert lines.index("from functools import reduce") < lines.index("LIMIT = 10")
    assert lines.index("from __future__ import annotations") < lines.index("import operator")
    assert lines.index("_SQ = lambda v: v * v") < lines.index("def slow_sum(values, *, start=0):")
    assert run_module(new)["slow_sum"]([1, 2, 3], start=1) == 15


def test_method_is_spliced_into_its_class_with_the_class_indentation() -> None:
    code = "@property_like\ndef total(self):\n  f = self.factor\n  return sum(i * f for i in self.items)\n"
    code = "def property_like(fn):\n    return fn\n\n" + code
    spliced = check_and_splice(SOURCE, target("Store.total"), RawCandidate(code=code))
    new = spliced.optimized_code
    assert "    # keep this comment\n    @property_like\n    def total(self):\n        f = self.factor\n" in new
    ns = run_module(new)
    assert ns["Store"]([1, 2]).total() == 9
    assert new.index("def property_like") < new.index("class Store")


def test_whole_class_or_module_echoed_back_is_accepted() -> None:
    echoed_class = (
        "class Store:\n    factor = 3\n\n    def __init__(self, items):\n        self.items = items\n\n"
        "    def total(self):\n        return sum(self.items) * self.factor\n"
    )
    new = check_and_splice(SOURCE, target("Store.total"), RawCandidate(code=echoed_class))
    assert run_module(new.optimized_code)["Store"]([1, 2]).total() == 9
    whole_module = SOURCE.replace(
        "    total = start\n    for v in values:\n        total = total + v * v\n    return total\n",
        "    return start + sum(v * v for v in values)\n",
    )
    assert whole_module != SOURCE
    new2 = check_and_splice(SOURCE, target(), RawCandidate(code=whole_module))
    assert new2.optimized_code == whole_module


def test_locate_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="not found"):
        locate(SOURCE, "missing")
    with pytest.raises(ValueError, match="not found"):
        locate(SOURCE, "Store.missing")
    with pytest.raises(ValueError, match="is a class"):
        locate(SOURCE, "Store")
    with pytest.raises(ValueError, match="does not parse"):
        locate("def broken(:\n", "broken")


def test_the_last_definition_of_a_name_is_the_one_replaced() -> None:
    source = "def f():\n    return 1\n\n\ndef f():\n    return 2\n"
    new = check_and_splice(
        source, locate(source, "f"), RawCandidate(code="def f():\n    return 3\n")
    ).optimized_code
    assert new == "def f():\n    return 1\n\n\ndef f():\n    return 3\n"
