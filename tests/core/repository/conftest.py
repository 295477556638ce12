"""A real git smart-HTTP server on loopback for the repository tests: dulwich's own WSGI
app (``dulwich.web``) in a wsgiref thread, serving repositories built in ``tmp_path``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from dulwich import porcelain
from dulwich.repo import Repo
from dulwich.server import DictBackend
from dulwich.web import make_wsgi_chain

AUTHOR = b"Velox Test <test@example.invalid>"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class SourceRepo:
    """A non-bare repository we commit to; served as ``/<owner>/<name>.git``."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True)
        self.path = path
        self.repo: Repo = porcelain.init(str(path))

    def commit(self, files: dict[str, str], message: str = "change") -> str:
        for rel, text in files.items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        porcelain.add(self.repo, [str(self.path / rel) for rel in files])
        sha = porcelain.commit(self.repo, message=message.encode(), author=AUTHOR,
                               committer=AUTHOR)
        return sha.decode()

    def tag(self, name: str) -> None:
        porcelain.tag_create(self.repo, name.encode(), annotated=True, message=b"tag",
                             author=AUTHOR)

    def branch(self, name: str) -> None:
        porcelain.branch_create(self.repo, name)


@contextmanager
def serve(repos: dict[str, SourceRepo]) -> Iterator[str]:
    """Serve ``{"owner/name": repo}``; yields the base URL ``http://127.0.0.1:<port>``."""
    backend = DictBackend({f"/{key}.git": r.repo for key, r in repos.items()}
                          | {f"/{key}": r.repo for key, r in repos.items()})
    server = make_server("127.0.0.1", 0, make_wsgi_chain(backend), server_class=_ThreadingServer,
                         handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        for r in repos.values():
            r.repo.close()


SLOW = '''def dedupe(items):
    out = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


def join_words(words):
    s = ""
    for w in words:
        s += w
    return s
'''

USES = '''from pkg.slow import dedupe


def unique_count(values):
    return len(dedupe(values))
'''

CONSTANTS = "LIMIT = 10\n"


@dataclass
class Served:
    base: str
    url: str  # http://127.0.0.1:port/owner/demo
    source: SourceRepo
    first_commit: str
    second_commit: str


@pytest.fixture
def served_repo(tmp_path: Path) -> Iterator[Served]:
    """owner/demo: commit 1 (tag v1: pkg/slow.py only), commit 2 on master (+ users,
    constants, a README), branch ``feature`` at commit 2."""
    src = SourceRepo(tmp_path / "origin")
    first = src.commit({"pkg/__init__.py": "", "pkg/slow.py": SLOW}, "first")
    src.tag("v1")
    second = src.commit({"pkg/uses.py": USES, "pkg/constants.py": CONSTANTS,
                         "README.md": "demo\n"}, "second")
    src.branch("feature")
    with serve({"owner/demo": src}) as base:
        yield Served(base=base, url=f"{base}/owner/demo", source=src, first_commit=first,
                     second_commit=second)
