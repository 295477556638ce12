"""Where a module sits in a project: its import name, the folder to put on ``sys.path``,
the tests that exercise it."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path, PurePosixPath

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SKIP_DIRS = {".git", ".venv", "venv", "env", ".tox", ".nox", "node_modules", "__pycache__",
              "build", "dist", ".eggs", ".mypy_cache", ".pytest_cache"}


PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")


def above_src(folder: Path) -> Path:
    """The project root when ``folder`` is the ``src/`` of a src-layout project (its tests
    sit beside ``src/``, not inside it), else ``folder`` itself. The sandbox puts both the
    project and its ``src/`` on ``PYTHONPATH``, so the package still imports from there."""
    if folder.name == "src" and any((folder.parent / m).is_file() for m in PROJECT_MARKERS):
        return folder.parent
    return folder


def check_relpath(module_relpath: str) -> PurePosixPath:
    """A module path inside the project: relative, no ``..``, a ``.py`` file."""
    rel = PurePosixPath(module_relpath.replace(os.sep, "/"))
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"module_relpath must be a relative path inside the project: {module_relpath!r}")
    if rel.suffix != ".py":
        raise ValueError(f"module_relpath must name a .py file: {module_relpath!r}")
    return rel


def module_layout(project_dir: str | Path, module_relpath: str) -> tuple[str, str]:
    """``(module name, import root relative to the project)``.

    The package is every folder above the file that has an ``__init__.py``, like pytest's
    default (rootdir-less) import mode: ``src/pkg/mod.py`` with ``src/pkg/__init__.py`` is
    ``pkg.mod`` imported from ``src``.
    """
    rel = check_relpath(module_relpath)
    project = Path(project_dir)
    parts = [rel.stem]
    folder = rel.parent
    while folder.parts and (project / folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if rel.stem == "__init__":
        parts = parts[:-1] or ["__init__"]
    if not all(_IDENT.match(p) for p in parts):
        return "velox_target", str(rel.parent)
    return ".".join(parts), str(folder) if folder.parts else "."


def module_name_for_inline() -> str:
    return "velox_target"


def find_tests(project_dir: str | Path, module_relpath: str, limit_files: int = 3000) -> list[str]:
    """Test files (relative paths) that import the module, by a textual scan.

    A module of a package that its tests only reach through the package
    (``from mistune import create_markdown`` exercises ``mistune/helpers.py``) falls back
    to the tests that import the top-level package.
    """
    project = Path(project_dir)
    name, _root = module_layout(project, module_relpath)
    parts = name.split(".")
    candidates = _test_files(project, limit_files)
    found = [rel for rel, text in candidates if _imports(text, parts[-1])]
    if not found and len(parts) > 1:
        found = [rel for rel, text in candidates if _imports(text, parts[0])]
    return found


def _imports(text: str, name: str) -> bool:
    pattern = re.compile(
        rf"^\s*(from\s+[\w.]*\b{re.escape(name)}\b[\w.]*\s+import|import\s+[\w.]*\b{re.escape(name)}\b"
        rf"|from\s+[\w.]+\s+import\s+[^#\n]*\b{re.escape(name)}\b)",
        re.MULTILINE,
    )
    return pattern.search(text) is not None


def _test_files(project: Path, limit_files: int) -> list[tuple[str, str]]:
    """``(relative path, text)`` of pytest-style test files, at most ``limit_files``."""
    out: list[tuple[str, str]] = []
    for root, dirs, files in os.walk(project):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for fname in sorted(files):
            if not (fname.startswith("test_") and fname.endswith(".py")
                    or fname.endswith("_test.py")):
                continue
            if len(out) >= limit_files:
                return out
            path = Path(root) / fname
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            out.append((path.relative_to(project).as_posix(), text))
    return out


def fill_test_command(command: str, project_dir: str | Path, module_relpath: str) -> str:
    """Replace ``{path}`` by the tests that import the module (or ``.`` when none do)."""
    if "{path}" not in command:
        return command
    tests = find_tests(project_dir, module_relpath)
    value = " ".join(shlex.quote(t) for t in tests) if tests else "."
    return command.replace("{path}", value)


def split_command(command: str) -> list[str]:
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ValueError(f"test command cannot be parsed: {exc}") from None
    if not argv:
        raise ValueError("test command is empty")
    return argv
