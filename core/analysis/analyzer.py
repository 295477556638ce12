"""Analyse one file: one parse feeds radon's metrics and every detector.

``analyze_source`` never raises for bad input: a file that cannot be analysed (not
UTF-8 or its declared encoding, binary, too large, a syntax error, Python 2 code, nesting
too deep for the parser) comes back with ``error`` set and its metrics at zero.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
from pathlib import Path

from core.analysis import metrics as m
from core.analysis.context import AnalysisContext, Walker
from core.analysis.detectors import DETECTORS, Detector
from core.analysis.model import FileAnalysis, FunctionMetrics

#: Files larger than this are reported with an error instead of analysed.
MAX_FILE_BYTES = 2_000_000

_WALKERS: dict[tuple[str, ...], Walker] = {}


def _walker(detectors: list[Detector] | None) -> Walker:
    chosen = DETECTORS if detectors is None else detectors
    key = tuple(d.id for d in chosen)
    walker = _WALKERS.get(key)
    if walker is None:
        walker = _WALKERS[key] = Walker(list(chosen))
    return walker


def decode_source(data: bytes) -> str:
    """Decode Python source bytes honouring a PEP 263 coding cookie (UTF-8 otherwise).

    Raises ValueError with a one-line reason for binary or undecodable data."""
    if b"\x00" in data:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing" in str(exc.msg):  # no cookie, and the first lines are not UTF-8
            raise ValueError("not valid utf-8 text") from None
        raise ValueError(f"bad encoding declaration: {exc.msg}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise ValueError(f"not valid {encoding} text") from None
    return text[1:] if text.startswith("\ufeff") else text


def analyze_file(
    path: str | os.PathLike[str],
    *,
    display_path: str | None = None,
    metrics: bool = True,
    max_bytes: int = MAX_FILE_BYTES,
    detectors: list[Detector] | None = None,
) -> FileAnalysis:
    """Read and analyse one file; ``display_path`` is what ``file_path`` reports."""
    shown = display_path if display_path is not None else str(path)
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            return FileAnalysis(shown, error=f"file too large ({size} bytes, limit {max_bytes})")
        data = Path(path).read_bytes()
    except OSError as exc:
        return FileAnalysis(shown, error=f"cannot read file: {exc.strerror or exc}")
    try:
        source = decode_source(data)
    except ValueError as exc:
        return FileAnalysis(shown, error=str(exc))
    return analyze_source(source, shown, metrics=metrics, detectors=detectors)


def analyze_source(
    source: str,
    path: str = "<string>",
    *,
    metrics: bool = True,
    detectors: list[Detector] | None = None,
) -> FileAnalysis:
    """Analyse Python source text (see the module docstring).

    ``metrics=False`` skips the Halstead volume, maintainability index and raw counts
    (the costly part); cyclomatic complexity, findings and the complexity score remain.
    """
    if "\x00" in source:
        return FileAnalysis(path, error="binary file (contains NUL bytes)")
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return FileAnalysis(path, error=f"syntax error: {exc.msg}{where}")
    except (ValueError, RecursionError, MemoryError) as exc:
        return FileAnalysis(path, error=f"cannot parse: {type(exc).__name__}: {exc}")
    try:
        return _analyze_tree(tree, source, path, metrics, _walker(detectors))
    except RecursionError:
        return FileAnalysis(path, error="code nested too deeply to analyse")


def _analyze_tree(
    tree: ast.Module, source: str, path: str, with_metrics: bool, walker: Walker
) -> FileAnalysis:
    ctx = AnalysisContext(tree, source, path)
    walker.run(ctx)
    findings = sorted(set(ctx.findings), key=lambda f: (f.line, f.col, f.detector_id))

    cc = m.cyclomatic(tree)
    infos = {(f.line, f.col): f for f in ctx.functions}
    function_metrics: list[FunctionMetrics] = []
    for block in cc.functions:
        info = infos.get((block.line, block.col))
        function_metrics.append(
            FunctionMetrics(
                name=block.name,
                line=block.line,
                end_line=block.end_line,
                cyclomatic_complexity=block.complexity,
                is_recursive=bool(info and info.is_recursive),
                max_loop_depth=info.max_loop_depth if info else 0,
            )
        )
    ccs = [b.complexity for b in cc.functions]
    max_cc = max(ccs) if ccs else cc.module_level
    avg_cc = round(sum(ccs) / len(ccs), 2) if ccs else float(cc.module_level)
    depth = max([ctx.module_loop_depth, *(f.max_loop_depth for f in ctx.functions)])

    result = FileAnalysis(
        file_path=path,
        complexity_score=m.complexity_score(max_cc, depth, (f.severity for f in findings)),
        functions=len(cc.functions),
        classes=ctx.class_count,
        max_cyclomatic_complexity=max_cc,
        avg_cyclomatic_complexity=avg_cc,
        function_metrics=function_metrics,
        findings=findings,
        total_cyclomatic_complexity=cc.total,
        max_loop_depth=depth,
        metrics_computed=with_metrics,
    )
    if not with_metrics:
        result.lines_of_code = m.simple_line_count(source)
        return result
    try:
        raw = m.raw_counts(source)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        from radon.raw import analyze  # the tokenizer disagreed with the parser: radon's way

        raw = m.RawCounts(*analyze(source))
    volume = m.halstead_volume(tree)
    result.maintainability_score = round(m.maintainability_index(volume, cc.total, raw), 1)
    result.halstead_volume = round(volume, 2)
    result.lines_of_code = raw.loc
    result.source_lines = raw.sloc
    result.comment_lines = raw.comments
    result.logical_lines = raw.lloc
    result.blank_lines = raw.blank
    result.multiline_string_lines = raw.multi
    return result
