"""SARIF 2.1.0 output for GitHub code scanning (``velox scan --format sarif``).

One run, tool ``Velox`` with every detector as a rule (id, name, short and full
description, help with the bad/good code, default level, tags). Each finding is a result
at its exact region; files that could not be analysed are tool execution notifications
(not results). Levels: severity high -> ``error``, medium -> ``warning``, low -> ``note``.
Columns are 1-based Unicode code points (``columnKind: unicodeCodePoints``); ``endColumn``
is exclusive, as SARIF defines it.

Paths: relative ``file_path`` values are used as they are (GitHub resolves them from the
repository root, so scan from the root); absolute paths under ``base_dir`` are made
relative to it and tied to ``%SRCROOT%``. GitHub reads at most 25,000 results per run;
beyond that the run says so in a notification.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from core.analysis.detectors import DETECTORS

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/velox-optimizer/velox"
MAX_RESULTS = 25_000
LEVELS = {"high": "error", "medium": "warning", "low": "note"}


def _rule(detector: Any) -> dict[str, Any]:
    doc = detector.doc()
    first_paragraph = doc.split("\n\n")[0].replace("\n", " ")
    return {
        "id": detector.id,
        "name": "".join(part.capitalize() for part in detector.name.split("-")),
        "shortDescription": {"text": detector.title},
        "fullDescription": {"text": first_paragraph},
        "help": {"text": doc, "markdown": _markdown(doc)},
        "defaultConfiguration": {"level": LEVELS[detector.severity]},
        "properties": {
            "tags": ["performance", detector.action_type],
            "precision": "high" if detector.severity == "high" else "medium",
            "action_type": detector.action_type,
            "severity": detector.severity,
        },
    }


def _markdown(doc: str) -> str:
    """The detector docstring with its ``Bad::``/``Good::`` blocks as fenced code."""
    out: list[str] = []
    in_code = False
    for line in doc.splitlines():
        if line.rstrip().endswith("::"):
            if in_code:
                out.append("```")
            out.append(f"**{line.rstrip()[:-2]}**")
            out.append("```python")
            in_code = True
            continue
        if in_code and line and not line.startswith(" "):
            out.append("```")
            in_code = False
        out.append(line[4:] if in_code and line.startswith("    ") else line)
    if in_code:
        out.append("```")
    return "\n".join(out).strip()


def _uri(file_path: str, base_dir: Path | None) -> tuple[str, bool]:
    """``(uri, relative_to_base)`` for a scan ``file_path``."""
    path = file_path
    if base_dir is not None and os.path.isabs(path):
        try:
            path = str(Path(path).resolve().relative_to(base_dir))
            return quote(PurePosixPath(*Path(path).parts).as_posix()), True
        except ValueError:
            pass
    if os.path.isabs(path):
        return Path(path).as_uri(), False
    posix = PurePosixPath(*Path(path).parts).as_posix() if path else path
    return quote(posix.removeprefix("./")), False


def _region(f: dict[str, Any]) -> dict[str, int]:
    start_line = max(1, int(f["line"]))
    start_col = max(1, int(f["col"]) + 1)
    end_line = max(start_line, int(f.get("end_line") or start_line))
    end_col = max(1, int(f.get("end_col") or 0) + 1)
    if end_line == start_line and end_col <= start_col:
        end_col = start_col + 1
    return {
        "startLine": start_line,
        "startColumn": start_col,
        "endLine": end_line,
        "endColumn": end_col,
    }


def _artifact(uri: str, relative: bool) -> dict[str, Any]:
    location: dict[str, Any] = {"uri": uri}
    if relative:
        location["uriBaseId"] = "SRCROOT"
    return location


def to_sarif(
    body: dict[str, Any], *, base_dir: str | os.PathLike[str] | None = None, version: str = "1.0.0"
) -> dict[str, Any]:
    """Turn a scan body (``scanner.scan_path``'s result) into a SARIF 2.1.0 log."""
    base = Path(base_dir).resolve() if base_dir is not None else None
    rules = [_rule(d) for d in DETECTORS]
    rule_index = {d.id: i for i, d in enumerate(DETECTORS)}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    dropped = 0
    for entry in body.get("scan_results", []):
        uri, relative = _uri(str(entry["file_path"]), base)
        if entry.get("error"):
            notifications.append(
                {
                    "level": "warning",
                    "message": {"text": f"not analysed: {entry['error']}"},
                    "locations": [{"physicalLocation": {"artifactLocation": _artifact(uri, relative)}}],
                }
            )
        occurrences: dict[str, int] = {}
        for f in entry.get("findings", []):
            if len(results) >= MAX_RESULTS:
                dropped += 1
                continue
            key = f"{f['detector_id']}|{uri}|{f.get('function') or ''}|{f.get('title', '')}"
            occurrences[key] = occurrences.get(key, 0) + 1
            fingerprint = hashlib.sha256(key.encode()).hexdigest()[:32]
            location: dict[str, Any] = {
                "physicalLocation": {
                    "artifactLocation": _artifact(uri, relative),
                    "region": _region(f),
                }
            }
            if f.get("function"):
                location["logicalLocations"] = [
                    {"fullyQualifiedName": f["function"], "kind": "function"}
                ]
            result: dict[str, Any] = {
                "ruleId": f["detector_id"],
                "level": LEVELS.get(f["severity"], "warning"),
                "message": {"text": f["message"]},
                "locations": [location],
                "partialFingerprints": {
                    "veloxFindingHash/v1": f"{fingerprint}:{occurrences[key]}"
                },
                "properties": {"action_type": f["action_type"], "severity": f["severity"]},
            }
            if f["detector_id"] in rule_index:
                result["ruleIndex"] = rule_index[f["detector_id"]]
            results.append(result)
    if dropped:
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{dropped} results left out: GitHub reads at most {MAX_RESULTS} per run"
                },
            }
        )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "Velox",
                "version": version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "invocations": [
            {"executionSuccessful": True, "toolExecutionNotifications": notifications}
        ],
        "results": results,
    }
    if base is not None:
        run["originalUriBaseIds"] = {"SRCROOT": {"uri": base.as_uri() + "/"}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
