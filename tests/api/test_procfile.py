"""The Procfile names the five processes, and its velox/gunicorn lines parse."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from api.cli import build_parser

REPO_ROOT = Path(__file__).resolve().parents[2]


def _processes() -> dict[str, str]:
    lines = (REPO_ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def _expand_defaults(command: str) -> list[str]:
    return shlex.split(re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", command))


def test_five_processes():
    assert list(_processes()) == ["web", "worker_cpu", "worker_gpu", "beat", "flower"]


def test_web_serves_the_wsgi_app_on_port():
    argv = _expand_defaults(_processes()["web"])
    assert argv[0] == "gunicorn" and argv[-1] == "api.wsgi:app"
    assert "0.0.0.0:8000" in argv
    assert "${PORT:-8000}" in _processes()["web"]


def test_worker_lines_parse_with_the_cli(configure_settings):
    configure_settings()
    parser = build_parser()
    for name, queue in (("worker_cpu", "cpu"), ("worker_gpu", "gpu")):
        argv = _expand_defaults(_processes()[name])
        assert argv[0] == "velox"
        args = parser.parse_args(argv[1:])
        assert args.command == "worker" and args.queues == queue


def test_beat_and_flower_use_the_one_celery_app():
    for name in ("beat", "flower"):
        argv = _expand_defaults(_processes()[name])
        assert argv[:3] == ["celery", "-A", "tasks.celery_app"] and argv[3] == name
    assert os.path.basename(_expand_defaults(_processes()["beat"])[-1]).startswith(
        "celerybeat-schedule")
