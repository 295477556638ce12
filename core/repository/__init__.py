"""Git repositories: clone at a ref (dulwich, time/size budget), pick the most complex
Python files, scan or optimize them with cross-file context from the import graph."""

from core.repository.clone import ClonedRepository, clone_repository
from core.repository.imports import ImportGraph, build_import_graph
from core.repository.service import optimize_repository, scan_repository
from core.repository.url import RepositoryError, RepositoryURL, parse_repository_url

__all__ = [
    "ClonedRepository",
    "ImportGraph",
    "RepositoryError",
    "RepositoryURL",
    "build_import_graph",
    "clone_repository",
    "optimize_repository",
    "parse_repository_url",
    "scan_repository",
]
