"""Code analysis: radon metrics and the performance detector catalogue from one parse.

Entry points: ``analyze_source(source, path)`` and ``analyze_file(path)`` give a
``FileAnalysis``; ``core.analysis.scanner.scan_path`` scans files and directories;
``core.analysis.jobs.run_scan`` is the job function behind ``POST /scan``;
``core.analysis.sarif.to_sarif`` turns a scan body into SARIF 2.1.0.
"""

from core.analysis.analyzer import MAX_FILE_BYTES, analyze_file, analyze_source, decode_source
from core.analysis.model import FileAnalysis, Finding, FunctionMetrics

__all__ = [
    "MAX_FILE_BYTES",
    "FileAnalysis",
    "Finding",
    "FunctionMetrics",
    "analyze_file",
    "analyze_source",
    "decode_source",
]
