"""Small source trees for the scanner, jobs, SARIF and CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

SLOW = '''\
def bubble(arr):
    for i in range(len(arr)):
        for j in range(len(arr) - i - 1):
            if arr[j] > arr[j + 1]:
                arr[j], arr[j + 1] = arr[j + 1], arr[j]
    return arr


def dedupe(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
'''

MEDIUM = '''\
def render(rows):
    out = ""
    for row in rows:
        out += str(row)
    return out
'''

CLEAN = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def code_tree(tmp_path: Path) -> Path:
    """A project with slow, medium and clean files, a broken file, and folders to skip."""
    root = tmp_path / "project"
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "slow.py").write_text(SLOW)
    (root / "pkg" / "sub" / "medium.py").write_text(MEDIUM)
    (root / "clean.py").write_text(CLEAN)
    (root / "broken.py").write_text("def f(:\n")
    (root / "notes.txt").write_text(SLOW)
    for skipped in (".git", "node_modules", "__pycache__", "build", "site-packages", "x.egg-info"):
        (root / skipped).mkdir()
        (root / skipped / "hidden.py").write_text(SLOW)
    venv = root / "myenv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "lib.py").write_text(SLOW)
    return root
