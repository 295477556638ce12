"""Prompts for rewrite candidates.

The user message carries: the target function (as written), the module context it needs
(the imports, globals and helper functions/classes it references; for a method, the class
header, class attributes and the sibling methods it calls), the analyzer's findings inside
the function, the action type the policy ranked with its meaning, the objective weights,
and cross-file context (callers/callees from other files) when the caller provides it.
The answer format asked for is JSON with several candidates (see ``core.llm.parsing``).
"""

from __future__ import annotations

import ast
import textwrap

from core.actions import ACTION_MEANINGS
from core.analysis.model import Finding
from core.llm.parsing import Target, statement_source
from core.llm.types import ContextSnippet, LLMRequest

MAX_CONTEXT_CHARS = 12_000  # module context budget
MAX_ITEM_CHARS = 3_000  # one helper/global; longer ones are cut to their signature
MAX_CROSS_FILE_CHARS = 8_000

SYSTEM_PROMPT = """\
You are a senior Python performance engineer. You rewrite one Python function so that it \
runs faster and/or uses less memory while behaving exactly the same.

Rules:
- Keep the function's name and signature (parameter names, order, kinds and defaults).
- Keep the behaviour identical for every input: return values, exceptions raised, \
mutations of arguments and globals, printed output, and iteration order where it is visible.
- Use only the standard library and modules the file already imports.
- You may add imports, module-level constants and small helper functions next to the \
function; do not change any other existing code.
- Each candidate must differ meaningfully from the original and from the other candidates.
- Answer with JSON only, no prose outside it."""

ANSWER_FORMAT = """\
Return {n} different candidate rewrites as a JSON object:
{{"candidates": [{{"code": "<complete new definition of `{name}`, with any imports and \
helpers it needs>", "explanation": "<one or two sentences: what changed and why it is \
faster or leaner>", "action_type": "<one of: {actions}>"}}]}}"""


def build_messages(
    request: LLMRequest, target: Target, weights: dict[str, float]
) -> list[tuple[str, str]]:
    """(role, content) pairs: the system prompt and the user prompt."""
    return [("system", SYSTEM_PROMPT), ("user", build_user_prompt(request, target, weights))]


def build_user_prompt(request: LLMRequest, target: Target, weights: dict[str, float]) -> str:
    source = request.source
    tree = ast.parse(source)
    what = (
        f"the method `{target.name}` of class `{'.'.join(target.path[:-1])}`"
        if target.is_method
        else f"the function `{target.name}`"
    )
    sections = [f"Rewrite {what} in `{request.path}` to make it faster or leaner."]

    sections.append("## Objective\n" + _weights_text(weights))

    action = request.action_type
    if action and action in ACTION_MEANINGS and action != "no_change":
        sections.append(
            "## Suggested optimization\n"
            f"The optimization policy ranked `{action}` first for this function: "
            f"{ACTION_MEANINGS[action]} Prefer it when it applies; another kind of "
            "rewrite is fine when it is clearly better."
        )

    findings = function_findings(request.findings, target)
    if findings:
        lines = [
            f"- {f.detector_id} line {f.line} ({f.severity}, {f.action_type}): {f.message}"
            for f in findings
        ]
        sections.append("## Analyzer findings in this function\n" + "\n".join(lines))

    node = target.node
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    sections.append(
        f"## Function to rewrite (lines {first}-{node.end_lineno})\n"
        f"```python\n{statement_source(source, node).rstrip()}\n```"
    )

    context = module_context(source, tree, target)
    if context:
        sections.append(
            "## Module context it uses (do not repeat unless you change it)\n"
            f"```python\n{context}\n```"
        )

    cross = cross_file_text(request.cross_file_context)
    if cross:
        sections.append("## Code in other files that calls it or that it calls\n" + cross)

    actions = ", ".join(a for a in ACTION_MEANINGS if a != "no_change")
    sections.append(
        "## Answer format\n"
        + ANSWER_FORMAT.format(n=request.num_candidates, name=target.name, actions=actions)
    )
    return "\n\n".join(sections) + "\n"


def _weights_text(weights: dict[str, float]) -> str:
    runtime = float(weights.get("runtime", 0.5))
    memory = float(weights.get("memory", 0.5))
    if runtime > memory:
        focus = "Runtime matters more than memory."
    elif memory > runtime:
        focus = "Peak memory matters more than runtime."
    else:
        focus = "Runtime and peak memory matter equally."
    return f"Objective weights: runtime {runtime:g}, memory {memory:g}. {focus}"


def function_findings(findings: list[Finding], target: Target) -> list[Finding]:
    """Findings inside the target (by qualified name, else by line range)."""
    node = target.node
    chosen = []
    for f in findings:
        if f.function is not None:
            if f.function == target.qualname or f.function.endswith("." + target.qualname):
                chosen.append(f)
        elif node.lineno <= f.line <= (node.end_lineno or node.lineno):
            chosen.append(f)
    return chosen


def _referenced_names(node: ast.AST) -> tuple[set[str], set[str]]:
    """(names read anywhere in the node, attributes read on self/cls)."""
    names: set[str] = set()
    attrs: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
        elif (
            isinstance(sub, ast.Attribute)
            and isinstance(sub.value, ast.Name)
            and sub.value.id in ("self", "cls")
        ):
            attrs.add(sub.attr)
    return names, attrs


def _segment(source: str, node: ast.stmt) -> str:
    text = statement_source(source, node).rstrip("\n")
    if len(text) <= MAX_ITEM_CHARS:
        return text
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        header_end = node.body[0].lineno - 1 if node.body else node.lineno
        header = textwrap.dedent("\n".join(source.splitlines()[first - 1 : header_end]))
        return header + "\n    ...  # body omitted"
    return text[:MAX_ITEM_CHARS] + "  # ... (truncated)"


def module_context(source: str, tree: ast.Module, target: Target) -> str:
    """The parts of the module the target references, in source order, within a budget.

    Imports are kept when the function or one of the kept definitions uses them.
    """
    names, attrs = _referenced_names(target.node)
    kept: dict[int, str] = {}
    used = set(names)
    for index, stmt in enumerate(tree.body):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if target.is_method and stmt.name == target.path[0]:
                kept[index], shown = _class_context(source, stmt, target, attrs)
                used |= shown
            elif stmt.name in names:
                kept[index] = _segment(source, stmt)
                used |= _referenced_names(stmt)[0]
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            bound = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            if bound & names:
                kept[index] = _segment(source, stmt)
                used |= _referenced_names(stmt)[0]
    for index, stmt in enumerate(tree.body):
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            bound = {(a.asname or a.name).split(".")[0] for a in stmt.names}
            is_future = isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"
            if is_future or bound & used:
                kept[index] = _segment(source, stmt)
    return _within_budget([kept[i] for i in sorted(kept)], MAX_CONTEXT_CHARS)


def _class_context(
    source: str, cls: ast.ClassDef, target: Target, attrs: set[str]
) -> tuple[str, set[str]]:
    """Class header, class-level attributes and the sibling methods the target uses;
    with the names those shown parts reference."""
    header_end = cls.body[0].lineno - 1 if cls.body else cls.lineno
    first = min([cls.lineno, *(d.lineno for d in cls.decorator_list)])
    lines = [textwrap.dedent("\n".join(source.splitlines()[first - 1 : header_end]))]
    shown: set[str] = set()
    for node in [*cls.decorator_list, *cls.bases, *cls.keywords]:
        shown |= _referenced_names(node)[0]
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            if stmt is target.node or stmt.name == target.name:
                lines.append(f"    # ... {target.name} (the function to rewrite)")
                continue
            if stmt.name not in attrs and stmt.name != "__init__":
                continue
        elif not isinstance(stmt, ast.Assign | ast.AnnAssign):
            continue
        lines.append(textwrap.indent(_segment(source, stmt), "    "))
        shown |= _referenced_names(stmt)[0]
    return "\n".join(lines), shown


def _within_budget(parts: list[str], budget: int) -> str:
    kept: list[str] = []
    used = 0
    for part in parts:
        if used + len(part) > budget:
            kept.append("# ... (more context omitted)")
            break
        kept.append(part)
        used += len(part) + 1
    return "\n".join(kept)


def cross_file_text(snippets: list[ContextSnippet]) -> str:
    blocks: list[str] = []
    for snippet in snippets:
        blocks.append(
            f"### {snippet.relation} `{snippet.name}` in `{snippet.path}`\n"
            f"```python\n{snippet.code.strip()}\n```"
        )
    return _within_budget(blocks, MAX_CROSS_FILE_CHARS)
