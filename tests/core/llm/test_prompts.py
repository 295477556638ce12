"""What the prompt carries about the function, its module and the objective."""

from __future__ import annotations

from core.analysis.model import Finding
from core.llm.parsing import locate
from core.llm.prompts import MAX_CONTEXT_CHARS, SYSTEM_PROMPT, build_messages, build_user_prompt
from core.llm.types import ContextSnippet, LLMRequest

SOURCE = '''from __future__ import annotations

import re
import os.path
from collections import defaultdict as dd

PATTERN = re.compile(r"\\d+")
UNUSED = 1


class Index:
    """Word index."""

    limit = 100

    def __init__(self, words):
        self.words = words

    def normalize(self, word):
        return word.lower()

    def unrelated(self):
        return os.path.sep

    @staticmethod
    def build(self_words=None):
        return None

    def counts(self):
        out = dd(int)
        for w in self.words:
            out[self.normalize(w)] += 1
        return [k for k in out if PATTERN.match(k)][: self.limit]
'''


def finding(line: int, function: str | None, detector: str = "VX201") -> Finding:
    return Finding(detector, "specialized_collections", "low", "use Counter", line, 8, line, 20, function)


def prompt_for(name: str, **kwargs) -> str:
    request = LLMRequest(source=SOURCE, function_name=name, path="idx.py", **kwargs)
    return build_user_prompt(request, locate(SOURCE, name), {"runtime": 0.5, "memory": 0.5})


def test_method_prompt_has_class_context_and_only_what_it_uses() -> None:
    prompt = prompt_for("Index.counts")
    assert "the method `counts` of class `Index`" in prompt
    assert "class Index:" in prompt and "limit = 100" in prompt
    assert "def normalize(self, word):" in prompt  # called through self
    assert "def __init__(self, words):" in prompt  # shows the attributes
    assert "def unrelated" not in prompt and "import os.path" not in prompt
    assert "from collections import defaultdict as dd" in prompt  # used as dd
    assert 'PATTERN = re.compile(r"\\d+")' in prompt and "import re" in prompt
    assert "UNUSED" not in prompt
    assert "from __future__ import annotations" in prompt
    assert "Runtime and peak memory matter equally." in prompt
    # the function itself, dedented to column 0
    assert "```python\ndef counts(self):\n    out = dd(int)" in prompt


def test_findings_are_matched_by_name_or_by_line() -> None:
    inside = finding(33, None, "VX301")  # inside counts() by its line
    named = finding(3, "Index.counts", "VX302")
    elsewhere = finding(20, "Index.normalize", "VX303")
    prompt = prompt_for("Index.counts", findings=[inside, named, elsewhere])
    assert "VX301 line 33" in prompt and "VX302 line 3" in prompt
    assert "VX303" not in prompt


def test_no_action_or_no_change_leaves_out_the_suggestion() -> None:
    assert "Suggested optimization" not in prompt_for("Index.counts")
    assert "Suggested optimization" not in prompt_for("Index.counts", action_type="no_change")
    assert "ranked `caching_strategy` first" in prompt_for(
        "Index.counts", action_type="caching_strategy"
    )


def test_weights_say_which_objective_matters_more() -> None:
    request = LLMRequest(source=SOURCE, function_name="Index.counts")
    target = locate(SOURCE, "Index.counts")
    memory_first = build_user_prompt(request, target, {"runtime": 0.2, "memory": 0.8})
    assert "Peak memory matters more than runtime." in memory_first


def test_decorated_function_is_shown_with_its_decorator() -> None:
    prompt = prompt_for("Index.build")
    assert "```python\n@staticmethod\ndef build(self_words=None):" in prompt


def test_cross_file_context_and_system_prompt() -> None:
    snippets = [
        ContextSnippet("callee", "lib/text.py", "tokenize", "def tokenize(s):\n    return s.split()"),
        ContextSnippet("caller", "app.py", "main", "def main():\n    Index([]).counts()"),
    ]
    request = LLMRequest(source=SOURCE, function_name="Index.counts", cross_file_context=snippets)
    (role_s, system), (role_u, user) = build_messages(
        request, locate(SOURCE, "Index.counts"), {"runtime": 1.0, "memory": 0.0}
    )
    assert (role_s, role_u) == ("system", "user") and system == SYSTEM_PROMPT
    assert "### callee `tokenize` in `lib/text.py`" in user
    assert "### caller `main` in `app.py`" in user
    assert "Runtime matters more than memory." in user


def test_module_context_stays_within_its_budget() -> None:
    helpers = "".join(
        f"def helper_{i}(x):\n    return x + {i}  # {'pad' * 200}\n\n\n" for i in range(40)
    )
    calls = " + ".join(f"helper_{i}(v)" for i in range(40))
    source = helpers + f"def target(v):\n    return {calls}\n"
    request = LLMRequest(source=source, function_name="target")
    prompt = build_user_prompt(request, locate(source, "target"), {"runtime": 0.5, "memory": 0.5})
    assert "# ... (more context omitted)" in prompt
    assert len(prompt) < MAX_CONTEXT_CHARS + 5000
