"""Clone one repository at one ref; run as a child process by ``core.repository.clone``.

Reads ``{"url", "target", "ref"}`` as JSON on stdin and prints one JSON line:
``{"commit", "ref_kind"}`` or ``{"error", "field"}``. Standalone (stdlib + dulwich only) so
the parent can kill it when it runs past its time or size budget.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sys


def _empty_config():  # noqa: ANN202 - dulwich ConfigDict
    """No user or system git config: no ``insteadOf`` URL rewriting, no credential helpers."""
    from dulwich.config import ConfigDict

    return ConfigDict()


def _peel(repo, sha: bytes):  # noqa: ANN001, ANN202 - dulwich objects
    from dulwich.objects import Commit, Tag

    obj = repo[sha]
    while isinstance(obj, Tag):
        obj = repo[obj.object[1]]
    if not isinstance(obj, Commit):
        raise LookupError(f"{sha.decode()} is not a commit")
    return obj


def _by_sha(url: str, target: str, ref: str) -> dict:
    from dulwich import porcelain

    repo = porcelain.clone(url, target, checkout=False, errstream=io.BytesIO(),
                           config=_empty_config())
    try:
        prefix = ref.lower().encode()
        if len(prefix) == 40:
            matches = [prefix] if prefix in repo.object_store else []
        else:
            matches = [sha for sha in repo.object_store if sha.startswith(prefix)]
        commits = []
        for sha in matches:
            try:
                commits.append(_peel(repo, sha))
            except LookupError:
                continue
        if not commits:
            return {"error": f"ref {ref!r} is not a branch, tag or commit of the repository",
                    "field": "ref"}
        if len(commits) > 1:
            return {"error": f"ref {ref!r} is an ambiguous commit SHA prefix", "field": "ref"}
        commit = commits[0]
        repo.refs[b"HEAD"] = commit.id
        worktree = repo.get_worktree() if hasattr(repo, "get_worktree") else repo
        worktree.reset_index(commit.tree)
        return {"commit": commit.id.decode(), "ref_kind": "commit"}
    finally:
        repo.close()


def clone(url: str, target: str, ref: str) -> dict:
    from dulwich import porcelain

    shallow = os.path.join(target, "shallow")
    try:
        repo = porcelain.clone(url, shallow, depth=1, branch=ref, errstream=io.BytesIO(),
                               config=_empty_config())
    except ValueError as exc:
        if "not a valid branch or tag" not in str(exc):
            raise
        shutil.rmtree(shallow, ignore_errors=True)
        if re.fullmatch(r"[0-9a-fA-F]{7,40}", ref):
            return _by_sha(url, os.path.join(target, "full"), ref) | {"dir": "full"}
        return {"error": f"ref {ref!r} is not a branch, tag or commit of the repository",
                "field": "ref"}
    try:
        kind = "tag" if (b"refs/tags/" + ref.encode()) in repo.refs else "branch"
        commit = _peel(repo, repo.refs[b"HEAD"])
        return {"commit": commit.id.decode(), "ref_kind": kind, "dir": "shallow"}
    finally:
        repo.close()


def main() -> int:
    request = json.loads(sys.stdin.read())
    try:
        answer = clone(request["url"], request["target"], request["ref"])
    except Exception as exc:  # report every failure as one line to the parent
        text = " ".join(str(exc).split()) or type(exc).__name__
        answer = {"error": f"cannot clone {request['url']}: {type(exc).__name__}: {text}"[:500],
                  "field": "repository_url"}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
    return 0 if "error" not in answer else 1


if __name__ == "__main__":
    sys.exit(main())
