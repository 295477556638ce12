"""Which repository URLs Velox clones.

Policy: ``https://github.com/<owner>/<repo>`` (optionally ending in ``.git`` or ``/``)
always; other ``http(s)://`` hosts only when the caller names them in ``allowed_hosts``
(tests on loopback, self-hosted servers wired up in code). Never ``file://``, ``ssh://``,
scp-style ``git@host:path``, credentials in the URL, query strings, fragments, or ``..``
path segments. The HTTP API passes no ``allowed_hosts``, so it clones from github.com only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

GITHUB_HOST = "github.com"
_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]+$")


class RepositoryError(ValueError):
    """Bad repository input or a failed clone: one line saying what to fix.

    ``field`` names the request field at fault (``repository_url`` or ``ref``) when known.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class RepositoryURL:
    clone_url: str  # what dulwich fetches
    host: str
    owner: str
    name: str  # without .git

    @property
    def display(self) -> str:
        """``owner/repo``, the response's ``repository`` field."""
        return f"{self.owner}/{self.name}"


def parse_repository_url(url: str, *, allowed_hosts: Iterable[str] = ()) -> RepositoryURL:
    """Check ``url`` against the policy above; raise RepositoryError naming the problem."""
    def bad(why: str) -> RepositoryError:
        return RepositoryError(f"repository_url {url!r} {why}", field="repository_url")

    if not isinstance(url, str) or not url.strip():
        raise RepositoryError("repository_url is required", field="repository_url")
    if any(ch in url for ch in "\x00\r\n\t \\"):
        raise bad("contains whitespace, backslashes or control characters")
    if re.match(r"^[\w.-]+@[\w.-]+:", url):
        raise bad("is an SSH address; use the HTTPS URL (https://github.com/owner/repo)")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    extra = {h.lower() for h in allowed_hosts}
    if scheme not in ("http", "https"):
        raise bad("must be an HTTPS GitHub URL such as https://github.com/owner/repo")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise bad("must not carry credentials")
    if parts.query or parts.fragment:
        raise bad("must not have a query string or fragment")
    if host == GITHUB_HOST:
        if scheme != "https" or parts.port not in (None, 443):
            raise bad("must use https:// on the default port")
    elif host not in extra:
        raise bad("is not on github.com (only GitHub HTTPS URLs are accepted)")
    segments = [s for s in parts.path.split("/") if s != ""]
    if any(s in (".", "..") for s in segments) or "//" in parts.path.strip("/"):
        raise bad("must not contain '.' or '..' path segments")
    if len(segments) != 2 or not all(_SEGMENT.match(s) for s in segments):
        raise bad("must look like https://github.com/owner/repo")
    owner, name = segments
    if name.endswith(".git"):
        name = name[: -len(".git")]
    if not name:
        raise bad("has an empty repository name")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return RepositoryURL(
        clone_url=f"{scheme}://{netloc}/{owner}/{name}.git", host=host, owner=owner, name=name
    )


_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")


def check_ref(ref: str) -> str:
    """A branch, tag or commit SHA name: no ``..``, no leading ``-``, no odd characters."""
    if (
        not isinstance(ref, str)
        or not _REF.match(ref)
        or ".." in ref
        or ref.endswith((".lock", "/", "."))
        or "//" in ref
    ):
        raise RepositoryError(
            f"ref {ref!r} is not a valid branch, tag or commit SHA name", field="ref"
        )
    return ref


def looks_like_sha(ref: str) -> bool:
    return re.fullmatch(r"[0-9a-fA-F]{7,40}", ref) is not None
