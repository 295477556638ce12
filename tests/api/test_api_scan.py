"""POST /scan: path confinement and request validation (runs before any job exists)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.app import create_app
from core.settings import Settings
from core.storage import jobs


@pytest.fixture
def client(sqlite_settings: Settings):
    return create_app(sqlite_settings).test_client()


def _no_jobs() -> bool:
    return jobs.list_jobs(limit=5, kind="scan") == []


def test_directory_outside_the_roots_is_403(client, tmp_path: Path):
    response = client.post("/scan", json={"directory": str(tmp_path.parent)})
    assert response.status_code == 403
    body = response.get_json()
    assert body["fields"] == [{"field": "directory", "message": "outside ALLOWED_CODE_ROOTS"}]
    assert "ALLOWED_CODE_ROOTS" in body["message"]
    assert _no_jobs()


def test_dotdot_escape_is_403(client, tmp_path: Path):
    (tmp_path / "src").mkdir()
    sneaky = f"{tmp_path}/src/../../{tmp_path.name}/../"
    assert client.post("/scan", json={"directory": sneaky}).status_code == 403


def test_symlink_out_of_the_roots_is_403(client, tmp_path: Path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    link = tmp_path / "link"
    link.symlink_to(outside, target_is_directory=True)
    assert client.post("/scan", json={"directory": str(link)}).status_code == 403
    assert _no_jobs()


@pytest.mark.parametrize("make, problem", [
    (lambda root: root / "missing", "does not exist"),
    (lambda root: (root / "file.py").write_text("x = 1\n") and root / "file.py", "is not a directory"),
])
def test_missing_or_not_a_directory_is_422(client, tmp_path: Path, make, problem):
    response = client.post("/scan", json={"directory": str(make(tmp_path))})
    assert response.status_code == 422
    assert response.get_json()["fields"] == [{"field": "directory", "message": problem}]


@pytest.mark.parametrize("pattern", ["../*.py", "sub/*.py", "..", "a\\b"])
def test_file_pattern_must_be_a_name_glob(client, tmp_path: Path, pattern: str):
    response = client.post("/scan", json={"directory": str(tmp_path), "file_pattern": pattern})
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == "file_pattern"
