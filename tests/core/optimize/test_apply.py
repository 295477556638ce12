"""Merging rewrites of one module: definitions, imports and the constants the regex rule adds."""

from __future__ import annotations

from core.optimize.apply import merge_functions
from core.rules import propose_rewrites

ORIGINAL = '''import re

WORD = r"\\w+"


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def words(text):
    return re.findall(WORD, text.lower())


def digits(text):
    return re.sub(r"\\D", "", text)
'''


def _rewrite(function: str) -> str:
    [cand] = [c for c in propose_rewrites(ORIGINAL) if c.target_functions == [function]]
    return cand.optimized_code


def test_new_module_constants_are_merged_after_their_anchors_and_never_between_imports() -> None:
    merged = merge_functions(ORIGINAL, _rewrite("fib"), _rewrite("words"), ["words"])
    assert merged is not None
    merged = merge_functions(ORIGINAL, merged, _rewrite("digits"), ["digits"])
    assert merged is not None
    lines = merged.splitlines()
    # the lru_cache import the first rewrite added stays with the imports
    assert lines[:2] == ["import re", "from functools import lru_cache"]
    assert lines.index('_DIGITS_RE = re.compile(r"\\D")') > 1
    assert lines.index("_WORDS_RE = re.compile(WORD)") > lines.index('WORD = r"\\w+"')
    namespace: dict = {}
    exec(compile(merged, "<merged>", "exec"), namespace)
    assert namespace["words"]("Hi there") == ["hi", "there"]
    assert namespace["digits"]("a1b22") == "122"
    assert namespace["fib"](20) == 6765


def test_a_constant_whose_name_is_taken_is_not_merged() -> None:
    base = _rewrite("fib").replace("def fib(n):", "_WORDS_RE = None\n\n\ndef fib(n):")
    assert merge_functions(ORIGINAL, base, _rewrite("words"), ["words"]) is None


def test_a_rewrite_that_adds_other_module_statements_is_not_merged() -> None:
    donor = _rewrite("words") + "\nprint('side effect at import')\n"
    assert merge_functions(ORIGINAL, _rewrite("fib"), donor, ["words"]) is None
    shadowing = _rewrite("words").replace("_WORDS_RE", "WORD_2").replace(
        "WORD_2 = re.compile(WORD)", "WORD = re.compile(WORD)")
    assert merge_functions(ORIGINAL, _rewrite("fib"), shadowing, ["words"]) is None
