"""Parse application logs: error codes, per-level counts, slow requests, a summary."""

from __future__ import annotations

import re


def error_codes(lines: list[str]) -> list[str]:
    """The numeric code of every ``ERROR <code>`` entry, in order."""
    codes = []
    for line in lines:
        m = re.search(r"ERROR (\d+)", line)
        if m:
            codes.append(m.group(1))
    return codes


def level_counts(lines: list[str]) -> dict[str, int]:
    """How many lines each log level has (levels that never occur are absent)."""
    levels = []
    for line in lines:
        m = re.match(r"\[(\w+)\]", line)
        if m:
            levels.append(m.group(1))
    return {level: levels.count(level) for level in levels}


def slow_requests(lines: list[str], threshold_ms: int) -> list[tuple[str, int]]:
    """(path, duration) of requests slower than ``threshold_ms``."""
    out = []
    for line in lines:
        m = re.search(r"GET (\S+) took (\d+)ms", line, re.IGNORECASE)
        if m and int(m.group(2)) > threshold_ms:
            out.append((m.group(1), int(m.group(2))))
    return out


def read_log(path: str) -> list[str]:
    """The non-empty lines of a log file, without their newline."""
    lines = []
    with open(path) as fh:
        for line in fh.readlines():
            if line.strip():
                lines.append(line.rstrip("\n"))
    return lines


def summary(lines: list[str]) -> str:
    """One line per level, sorted by level name."""
    counts = level_counts(lines)
    text = ""
    for level in sorted(counts):
        text += level + ": " + str(counts[level]) + "\n"
    return text
