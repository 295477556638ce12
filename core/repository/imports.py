"""The import graph of a checked-out repository, and the cross-file context built from it.

Module names come from file paths relative to the repository root (``pkg/mod.py`` →
``pkg.mod``, ``pkg/__init__.py`` → ``pkg``; a top-level ``src/`` is also stripped, for
the src layout). Imports are read from the syntax tree (``import x``, ``from x import y``,
relative imports), never by importing anything; imports of modules outside the
repository are ignored. For each importing file the graph also keeps which names it uses
from each module (``from m import f`` and ``m.f``), which is what the callers/callees
context is cut from.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # core.llm imports langchain: only when snippets are built
    from core.llm.types import ContextSnippet

MAX_SNIPPET_CHARS = 4000


def module_names(rel_path: str) -> list[str]:
    """Dotted names a file can be imported by (``src/`` layout gives two)."""
    parts = Path(rel_path).with_suffix("").parts
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts:
        return []
    names = [".".join(parts)]
    if parts[0] == "src" and len(parts) > 1:
        names.append(".".join(parts[1:]))
    return names


@dataclass(slots=True)
class ImportGraph:
    """Edges between files (paths relative to the root) of one repository."""

    root: Path
    imports: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    imported_by: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # (importer, imported) -> names the importer uses from the imported module
    used_names: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    trees: dict[str, ast.Module] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def imported_by_count(self, rel: str) -> int:
        return len(self.imported_by.get(rel, ()))

    def groups(self, files: Iterable[str]) -> list[list[str]]:
        """Files among ``files`` linked by imports (either way, directly or through other
        selected files), as sorted groups; a file with no such link is a group of one."""
        selected = sorted(set(files))
        parent = {f: f for f in selected}

        def find(f: str) -> str:
            while parent[f] != f:
                parent[f] = parent[parent[f]]
                f = parent[f]
            return f

        for f in selected:
            for g in self.imports.get(f, ()):
                if g in parent:
                    parent[find(f)] = find(g)
        groups: dict[str, list[str]] = defaultdict(list)
        for f in selected:
            groups[find(f)].append(f)
        return sorted((sorted(g) for g in groups.values()), key=lambda g: (-len(g), g))

    def context_snippets(self, rel: str, *, max_snippets: int = 6) -> list[ContextSnippet]:
        """Callees (definitions this file uses from other repository modules) and callers
        (functions in other modules that use this file's definitions)."""
        from core.llm.types import ContextSnippet

        snippets: list[ContextSnippet] = []
        for target in sorted(self.imports.get(rel, ())):
            for name in sorted(self.used_names.get((rel, target), ())):
                code = self._definition(target, name)
                if code:
                    snippets.append(ContextSnippet("callee", target, name, code))
        own = self._top_level_names(rel)
        for importer in sorted(self.imported_by.get(rel, ())):
            used = self.used_names.get((importer, rel), set()) & own
            for fn_name, code in self._functions_using(importer, used, rel):
                snippets.append(ContextSnippet("caller", importer, fn_name, code))
        return snippets[:max_snippets]

    def related_snippets(self, rel: str, others: Iterable[str]) -> list[ContextSnippet]:
        """Whole modules of ``others`` (a batch group) as ``related`` context for ``rel``."""
        from core.llm.types import ContextSnippet

        return [
            ContextSnippet("related", other, Path(other).stem,
                           self.sources.get(other, "")[:MAX_SNIPPET_CHARS])
            for other in sorted(others)
            if other != rel and self.sources.get(other)
        ]

    # -- helpers ---------------------------------------------------------------------------

    def _top_level_names(self, rel: str) -> set[str]:
        tree = self.trees.get(rel)
        if tree is None:
            return set()
        return {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }

    def _definition(self, rel: str, name: str) -> str | None:
        tree = self.trees.get(rel)
        if tree is None:
            return None
        for node in tree.body:
            if (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and node.name == name
            ):
                code = ast.get_source_segment(self.sources[rel], node) or ""
                return code[:MAX_SNIPPET_CHARS]
        return None

    def _functions_using(self, importer: str, names: set[str], target: str
                         ) -> list[tuple[str, str]]:
        tree = self.trees.get(importer)
        if tree is None or not names:
            return []
        aliases = _module_aliases(tree, importer, target, self)
        found = []
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for sub in ast.walk(node):
                direct = isinstance(sub, ast.Name) and sub.id in names
                via_module = (isinstance(sub, ast.Attribute) and sub.attr in names
                              and isinstance(sub.value, ast.Name) and sub.value.id in aliases)
                if direct or via_module:
                    code = ast.get_source_segment(self.sources[importer], node) or ""
                    found.append((node.name, code[:MAX_SNIPPET_CHARS]))
                    break
        return found


def _package_of(rel: str) -> list[str]:
    parts = list(Path(rel).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        return parts[:-1]
    return parts[:-1]


def _resolve_from(node: ast.ImportFrom, rel: str) -> str:
    if not node.level:
        return node.module or ""
    base = _package_of(rel)
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    if base and base[0] == "src":
        base = base[1:]
    return ".".join([*base, *([node.module] if node.module else [])])


def _module_aliases(tree: ast.Module, rel: str, target: str, graph: ImportGraph) -> set[str]:
    """Local names under which ``rel`` binds the module ``target`` (``import a.b as m``)."""
    index = _index(graph)
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if index.get(alias.name) == target:
                    aliases.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_from(node, rel)
            for alias in node.names:
                full = f"{base}.{alias.name}" if base else alias.name
                if index.get(full) == target:
                    aliases.add(alias.asname or alias.name)
    return aliases


def _index(graph: ImportGraph) -> dict[str, str]:
    return {name: rel for rel in graph.trees for name in module_names(rel)}


def build_import_graph(root: str | Path, files: Iterable[str]) -> ImportGraph:
    """Parse ``files`` (paths relative to ``root``) and link the imports between them.
    Files that do not parse are left out of the graph."""
    root = Path(root)
    graph = ImportGraph(root=root)
    for rel in files:
        try:
            source = (root / rel).read_text(encoding="utf-8")
            graph.trees[rel] = ast.parse(source, filename=rel)
            graph.sources[rel] = source
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
    index = _index(graph)
    for rel, tree in graph.trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = _longest_known(alias.name, index)
                    if target and target != rel:
                        _link(graph, rel, target)
                        local = alias.asname or alias.name.split(".")[0]
                        graph.used_names[(rel, target)] |= _attributes_of(tree, local)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve_from(node, rel)
                for alias in node.names:
                    full = f"{base}.{alias.name}" if base else alias.name
                    if full in index and index[full] != rel:  # a submodule
                        target = index[full]
                        _link(graph, rel, target)
                        graph.used_names[(rel, target)] |= _attributes_of(
                            tree, alias.asname or alias.name)
                    elif base in index and index[base] != rel:
                        _link(graph, rel, index[base])
                        if alias.name != "*":
                            graph.used_names[(rel, index[base])].add(alias.name)
    return graph


def _longest_known(name: str, index: dict[str, str]) -> str | None:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in index:
            return index[candidate]
    return None


def _link(graph: ImportGraph, importer: str, target: str) -> None:
    graph.imports[importer].add(target)
    graph.imported_by[target].add(importer)


def _attributes_of(tree: ast.Module, local: str) -> set[str]:
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == local
    }
