"""Clone a repository at a branch, tag or commit SHA into a temporary directory, within a
time and size budget.

The clone runs in a child process (``_clone_child.py``, dulwich): a shallow clone
(``depth=1``) of the branch or tag, or, when ``ref`` is not a branch or tag but looks like
a commit SHA (7-40 hex digits), a full clone followed by a checkout of that commit. The
parent polls the child and kills it when it runs past ``timeout_s`` or the clone directory
grows past ``max_bytes`` (both checked every 0.2 s while it runs, and the size once more when it ends).

    with clone_repository("https://github.com/owner/repo", "main") as repo:
        repo.path        # the checked-out working tree
    # the clone is deleted here
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from core.repository.url import RepositoryError, RepositoryURL, check_ref, parse_repository_url

DEFAULT_TIMEOUT_SECONDS = 300.0
DEFAULT_MAX_BYTES = 500 * 1024 * 1024
_POLL_SECONDS = 0.2
_CHILD = Path(__file__).with_name("_clone_child.py")


@dataclass(slots=True)
class ClonedRepository:
    url: RepositoryURL
    ref: str
    ref_kind: str  # branch | tag | commit
    commit: str  # the checked-out commit SHA
    path: Path  # the working tree
    _temp_root: Path

    def cleanup(self) -> None:
        shutil.rmtree(self._temp_root, ignore_errors=True)

    def __enter__(self) -> ClonedRepository:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.cleanup()


def _tree_bytes(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return total


def clone_repository(
    url: str,
    ref: str = "main",
    *,
    allowed_hosts: Iterable[str] = (),
    workdir: str | os.PathLike[str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_SECONDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ClonedRepository:
    """Clone ``url`` at ``ref`` (see the module docstring); RepositoryError on bad input,
    an unknown ref, a network failure or an exceeded budget. The caller deletes the clone
    (``cleanup()`` or ``with``)."""
    parsed = parse_repository_url(url, allowed_hosts=allowed_hosts)
    check_ref(ref)
    temp_root = Path(tempfile.mkdtemp(prefix="velox_clone_", dir=workdir))
    try:
        answer = _run_child(parsed.clone_url, temp_root, ref, timeout_s, max_bytes)
        if "error" in answer:
            raise RepositoryError(answer["error"], field=answer.get("field"))
        return ClonedRepository(url=parsed, ref=ref, ref_kind=answer["ref_kind"],
                                commit=answer["commit"], path=temp_root / answer["dir"],
                                _temp_root=temp_root)
    except BaseException:
        shutil.rmtree(temp_root, ignore_errors=True)
        raise


def _run_child(clone_url: str, temp_root: Path, ref: str, timeout_s: float,
               max_bytes: int) -> dict:
    request = json.dumps({"url": clone_url, "target": str(temp_root), "ref": ref})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-s", str(_CHILD)], stdin=subprocess.PIPE,
                                stdout=out, stderr=err, cwd=temp_root)
        assert proc.stdin is not None
        proc.stdin.write(request.encode())
        proc.stdin.close()
        deadline = time.monotonic() + timeout_s
        why = None
        while proc.poll() is None:
            if time.monotonic() > deadline:
                why = f"clone took longer than {timeout_s:g} s"
            elif _tree_bytes(temp_root) > max_bytes:
                why = f"clone is larger than {max_bytes // (1024 * 1024)} MiB"
            if why:
                proc.kill()
                proc.wait()
                raise RepositoryError(f"cannot clone {clone_url}: {why}",
                                      field="repository_url")
            time.sleep(_POLL_SECONDS)
        if _tree_bytes(temp_root) > max_bytes:  # finished between two polls, still too big
            raise RepositoryError(f"cannot clone {clone_url}: clone is larger than "
                                  f"{max_bytes // (1024 * 1024)} MiB", field="repository_url")
        out.seek(0)
        lines = out.read().decode(errors="replace").strip().splitlines()
        if not lines:
            err.seek(0)
            tail = " ".join(err.read().decode(errors="replace").split())[-300:]
            raise RepositoryError(f"cannot clone {clone_url}: clone process exited with "
                                  f"{proc.returncode}: {tail}", field="repository_url")
        return json.loads(lines[-1])
