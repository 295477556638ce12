"""File metrics from one parse: radon's cyclomatic complexity, Halstead volume and
maintainability index computed on the already-parsed tree, raw line counts from one
tokenizer pass, and Velox's two 0-100 scores.

Raw counts
    ``raw_counts`` gives the numbers of ``radon.raw.analyze`` (loc, lloc, sloc, comments,
    multi, blank, single_comments) from a single ``tokenize`` pass over the file. radon
    re-tokenizes the file line by line (and again for every line a multi-line statement or
    string adds), which made it the slowest part of an analysis; the grouping rules below
    are radon's, and a test checks both agree. They can differ only for files that use
    exotic line separators (form feed, ``\\x1c``...), which ``str.splitlines`` (radon) treats
    as line breaks and the tokenizer does not.

Scores (both on 0-100, rounded to one decimal)
    ``maintainability_score`` is radon's maintainability index (the ``radon mi`` number,
    multi-line strings counted as comments)::

        MI = max(0, min(100, (171 - 5.2 ln V - 0.23 G - 16.2 ln L + 50 sin(sqrt(2.46 C))) * 100 / 171))

    with V the file's Halstead volume, G its total cyclomatic complexity, L its logical
    lines and C the share of comment lines in radians.

    ``complexity_score`` says how much algorithmic and structural complexity a file
    carries: higher means slower-looking, harder code. Three kinds of evidence, each in
    [0, 1), are combined as a "noisy OR", so any one of them can raise the score and none
    can push it past 100::

        s_cc    = 1 - exp(-(max_cc - 1) / 15)        worst function's cyclomatic complexity
        s_loop  = 0, 0.10, 0.35, 0.55                deepest loop nesting 0, 1, 2, >=3
        s_find  = 1 - prod(1 - w(severity))          w = 0.60 high, 0.30 medium, 0.10 low
        complexity_score = 100 * (1 - (1 - s_cc) * (1 - s_loop) * (1 - s_find))

    A file whose worst function has cyclomatic complexity 5, two nested loops and one
    high-severity finding (a hand-written bubble sort) scores about 83; a file of straight
    helpers with CC <= 3 and no findings stays under 20; CC 20 alone gives about 72.
"""

from __future__ import annotations

import ast
import io
import math
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass

from radon.metrics import halstead_visitor_report, mi_compute
from radon.visitors import Class, ComplexityVisitor, Function, HalsteadVisitor

CC_SCALE = 15.0
LOOP_DEPTH_EVIDENCE = (0.0, 0.10, 0.35, 0.55)
SEVERITY_EVIDENCE = {"high": 0.60, "medium": 0.30, "low": 0.10}


@dataclass(frozen=True, slots=True)
class RawCounts:
    """The fields of ``radon.raw.Module``."""

    loc: int
    lloc: int
    sloc: int
    comments: int
    multi: int
    blank: int
    single_comments: int


_COMMENT = tokenize.COMMENT
_STRING = tokenize.STRING
_NL = tokenize.NL
_NEWLINE = tokenize.NEWLINE
_OP = tokenize.OP
_SKIP = frozenset({tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER})


def raw_counts(source: str) -> RawCounts:
    """radon.raw.analyze's counts from one tokenizer pass (raises tokenize.TokenError or
    SyntaxError on source the tokenizer rejects)."""
    lines = io.StringIO(source).readlines()
    counts = [0, 0, 0, 0, 0, 0]  # lloc, sloc, comments, multi, blank, single_comments
    group: list[tokenize.TokenInfo] = []
    significant = False  # the group holds a token other than comments and NL
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        ttype = tok.type
        if ttype in _SKIP:
            continue
        group.append(tok)
        if ttype == _NEWLINE:
            _close_group(group, lines, counts)
            group = []
            significant = False
        elif ttype == _NL:
            if not significant:  # blank or comment-only line outside any statement
                _close_group(group, lines, counts)
                group = []
        elif ttype != _COMMENT:
            significant = True
    if group:
        _close_group(group, lines, counts)
    lloc, sloc, comments, multi, blank, single = counts
    return RawCounts(sloc + blank + multi + single, lloc, sloc, comments, multi, blank, single)


def _close_group(group: list[tokenize.TokenInfo], lines: list[str], counts: list[int]) -> None:
    first_row = group[0].start[0]
    last_row = max(group[-1].end[0], first_row)
    kinds = [t.type for t in group if t.type != _NL and t.type != _NEWLINE]
    counts[2] += sum(1 for k in kinds if k == _COMMENT)
    physical = lines[first_row - 1 : last_row]
    if not physical:  # the NEWLINE tokenize adds at the end of a file without one
        physical = [""] if kinds else []
    if kinds == [_COMMENT]:
        counts[5] += 1
    elif kinds == [_STRING]:
        string = next(t for t in group if t.type == _STRING)
        if string.start[0] == string.end[0]:
            counts[5] += 1
        else:
            nonempty = sum(1 for line in physical if line.strip())
            counts[3] += nonempty
            counts[4] += len(physical) - nonempty
    else:
        nonempty = sum(1 for line in physical if line.strip())
        counts[1] += nonempty
        counts[4] += len(physical) - nonempty
    counts[0] += _logical_lines(group)


def _logical_lines(group: list[tokenize.TokenInfo]) -> int:
    """radon.raw._logical: each ';'-separated part counts 1, or 2 when a ':' that is not its
    last token shows a statement after a colon (``if x: return``)."""
    total = 0
    part: list[tokenize.TokenInfo] = []
    for tok in [*group, None]:
        if tok is None or (tok.type == _OP and tok.string == ";"):
            toks = [t for t in part if t.type not in (_COMMENT, _NL, _NEWLINE)]
            colons = [i for i, t in enumerate(toks) if t.type == _OP and t.string == ":"]
            if colons:
                total += 1 if colons[-1] == len(toks) - 1 else 2
            elif toks:
                total += 1
            part = []
        else:
            part.append(tok)
    return total


def simple_line_count(source: str) -> int:
    """Line count without tokenizing (used when metrics are switched off)."""
    return len(io.StringIO(source).readlines())


@dataclass(slots=True)
class BlockComplexity:
    name: str  # qualified: "Class.method", "outer.inner"
    line: int
    col: int
    end_line: int
    complexity: int


@dataclass(slots=True)
class ComplexityReport:
    total: int  # radon's total_complexity (what ``radon mi`` uses)
    module_level: int  # complexity of code outside functions and classes
    functions: list[BlockComplexity]  # every function, method and closure


def cyclomatic(tree: ast.Module) -> ComplexityReport:
    """radon's ComplexityVisitor on the parsed tree, flattened to qualified functions."""
    visitor = ComplexityVisitor.from_ast(tree)
    out: list[BlockComplexity] = []
    for func in visitor.functions:
        _flatten_function(func, "", out)
    for cls in visitor.classes:
        _flatten_class(cls, "", out)
    out.sort(key=lambda b: (b.line, b.col))
    return ComplexityReport(visitor.total_complexity, visitor.complexity, out)


def _flatten_function(func: Function, prefix: str, out: list[BlockComplexity]) -> None:
    name = f"{prefix}{func.name}"
    out.append(BlockComplexity(name, func.lineno, func.col_offset, func.endline, func.complexity))
    for inner in func.closures:
        _flatten_function(inner, f"{name}.", out)


def _flatten_class(cls: Class, prefix: str, out: list[BlockComplexity]) -> None:
    name = f"{prefix}{cls.name}"
    for method in cls.methods:
        _flatten_function(method, f"{name}.", out)
    for inner in cls.inner_classes:
        _flatten_class(inner, f"{name}.", out)


def halstead_volume(tree: ast.Module) -> float:
    """Halstead volume of the whole file (radon's HalsteadVisitor on the parsed tree)."""
    return float(halstead_visitor_report(HalsteadVisitor.from_ast(tree)).volume)


def maintainability_index(volume: float, total_cc: int, raw: RawCounts) -> float:
    """radon's MI (``radon mi`` defaults: multi-line strings count as comments)."""
    comments_pct = (raw.comments + raw.multi) / raw.sloc * 100 if raw.sloc else 0.0
    return float(mi_compute(volume, total_cc, raw.lloc, comments_pct))


def complexity_score(max_cc: int, max_loop_depth: int, severities: Iterable[str]) -> float:
    """The 0-100 complexity score (formula in the module docstring)."""
    s_cc = 1.0 - math.exp(-max(0, max_cc - 1) / CC_SCALE)
    s_loop = LOOP_DEPTH_EVIDENCE[min(max(max_loop_depth, 0), len(LOOP_DEPTH_EVIDENCE) - 1)]
    keep = 1.0
    for severity in severities:
        keep *= 1.0 - SEVERITY_EVIDENCE.get(severity, 0.0)
    s_find = 1.0 - keep
    return round(100.0 * (1.0 - (1.0 - s_cc) * (1.0 - s_loop) * (1.0 - s_find)), 1)
