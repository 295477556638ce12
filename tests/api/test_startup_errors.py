"""Bad settings stop the API and the CLI at start with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.app import create_app
from api.cli import main as velox
from core.settings import SettingsError, get_settings

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name, value", [
    ("RATE_LIMIT_REQUESTS_PER_MINUTE", "abc"),
    ("RATE_LIMIT_REQUESTS_PER_MINUTE", "0"),
    ("MAX_UPLOAD_SIZE_BYTES", "-5"),
    ("REQUIRE_AUTH_TOKEN", "maybe"),
])
def test_bad_value_raises_settings_error_naming_it(configure_settings, name, value):
    with pytest.raises(SettingsError) as info:
        configure_settings(**{name: value})
    assert name in str(info.value) and "\n" not in str(info.value)


def test_create_app_refuses_bad_settings(configure_settings, monkeypatch):
    configure_settings()
    monkeypatch.setenv("RATE_LIMIT_REQUESTS_PER_MINUTE", "abc")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="RATE_LIMIT_REQUESTS_PER_MINUTE"):
        create_app()


def test_auth_required_without_token_is_refused(configure_settings):
    with pytest.raises(SettingsError, match="API_AUTH_TOKEN"):
        configure_settings(REQUIRE_AUTH_TOKEN="true")


def test_cli_exits_2_with_one_line(configure_settings, monkeypatch, capsys):
    configure_settings()
    monkeypatch.setenv("RATE_LIMIT_REQUESTS_PER_MINUTE", "abc")
    get_settings.cache_clear()
    assert velox(["db", "current"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "RATE_LIMIT_REQUESTS_PER_MINUTE" in err[0]


def test_wsgi_entry_point_fails_fast_in_a_fresh_process(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.update(RATE_LIMIT_REQUESTS_PER_MINUTE="abc", PYTHONPATH=str(REPO_ROOT),
               DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    result = subprocess.run([sys.executable, "-c", "import api.wsgi"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SettingsError: invalid setting RATE_LIMIT_REQUESTS_PER_MINUTE" in result.stderr
