"""URL policy and cloning at a branch, a tag and a commit SHA from a real loopback git
server (dulwich smart HTTP)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.repository import RepositoryError, clone_repository, parse_repository_url
from core.repository.url import check_ref

LOOPBACK = ["127.0.0.1"]


@pytest.mark.parametrize("url,owner,name", [
    ("https://github.com/owner/repo", "owner", "repo"),
    ("https://github.com/owner/repo.git", "owner", "repo"),
    ("https://github.com/Owner-1/re_po.x/", "Owner-1", "re_po.x"),
])
def test_github_https_urls_are_accepted(url: str, owner: str, name: str) -> None:
    parsed = parse_repository_url(url)
    assert (parsed.owner, parsed.name, parsed.display) == (owner, name, f"{owner}/{name}")
    assert parsed.clone_url == f"https://github.com/{owner}/{name}.git"


@pytest.mark.parametrize("url,why", [
    ("file:///etc/repo", "HTTPS GitHub URL"),
    ("ssh://git@github.com/owner/repo.git", "HTTPS GitHub URL"),
    ("git@github.com:owner/repo.git", "SSH"),
    ("https://user:secret@github.com/owner/repo", "credentials"),
    ("https://token@github.com/owner/repo", "credentials"),
    ("http://github.com/owner/repo", "https://"),
    ("https://gitlab.com/owner/repo", "not on github.com"),
    ("http://127.0.0.1:9/owner/repo", "not on github.com"),
    ("https://github.com/owner/../repo", "'..'"),
    ("https://github.com/owner/repo/tree/main", "owner/repo"),
    ("https://github.com/owner/repo?x=1", "query"),
    ("", "required"),
])
def test_url_policy_rejects(url: str, why: str) -> None:
    with pytest.raises(RepositoryError, match="repository_url") as info:
        parse_repository_url(url)
    assert why in str(info.value)
    assert info.value.field == "repository_url"


def test_extra_hosts_only_when_named() -> None:
    assert parse_repository_url("http://127.0.0.1:8080/o/r", allowed_hosts=LOOPBACK).clone_url \
        == "http://127.0.0.1:8080/o/r.git"
    with pytest.raises(RepositoryError):
        parse_repository_url("http://127.0.0.1:8080/o/r", allowed_hosts=["localhost"])


@given(st.text(min_size=1, max_size=40))
def test_check_ref_never_accepts_traversal_or_options(ref: str) -> None:
    try:
        check_ref(ref)
    except RepositoryError as exc:
        assert exc.field == "ref"
    else:
        assert ".." not in ref and not ref.startswith("-") and " " not in ref


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and ".git" not in p.parts}


def test_clone_branch_tag_and_commit_sha(served_repo, tmp_path: Path) -> None:
    work = tmp_path / "clones"
    work.mkdir()
    everything = {"pkg/__init__.py", "pkg/slow.py", "pkg/uses.py", "pkg/constants.py",
                  "README.md"}
    with clone_repository(served_repo.url, "feature", allowed_hosts=LOOPBACK,
                          workdir=work) as repo:
        assert repo.ref_kind == "branch"
        assert repo.commit == served_repo.second_commit
        assert _files(repo.path) == everything
        assert repo.url.display == "owner/demo"
    with clone_repository(served_repo.url, "v1", allowed_hosts=LOOPBACK, workdir=work) as repo:
        assert repo.ref_kind == "tag"
        assert repo.commit == served_repo.first_commit
        assert _files(repo.path) == {"pkg/__init__.py", "pkg/slow.py"}
    short = served_repo.first_commit[:10]
    with clone_repository(served_repo.url, short, allowed_hosts=LOOPBACK, workdir=work) as repo:
        assert repo.ref_kind == "commit"
        assert repo.commit == served_repo.first_commit
        assert _files(repo.path) == {"pkg/__init__.py", "pkg/slow.py"}
    assert list(work.iterdir()) == []  # every clone was deleted


def test_unknown_ref_is_a_clear_error(served_repo, tmp_path: Path) -> None:
    for ref in ("no-such-branch", "deadbeefdeadbeef"):
        with pytest.raises(RepositoryError, match="is not a branch, tag or commit") as info:
            clone_repository(served_repo.url, ref, allowed_hosts=LOOPBACK, workdir=tmp_path)
        assert info.value.field == "ref"
    assert [p for p in tmp_path.iterdir() if p.name.startswith("velox_clone_")] == []


def test_unreachable_or_missing_repository(served_repo, tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="cannot clone") as info:
        clone_repository(f"{served_repo.base}/owner/missing", "main", allowed_hosts=LOOPBACK,
                         workdir=tmp_path)
    assert info.value.field == "repository_url"


def test_size_budget_stops_the_clone(served_repo, tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="larger than"):
        clone_repository(served_repo.url, "master", allowed_hosts=LOOPBACK, workdir=tmp_path,
                         max_bytes=0)
    assert [p for p in tmp_path.iterdir() if p.name.startswith("velox_clone_")] == []


def test_non_github_host_needs_allowed_hosts(served_repo) -> None:
    with pytest.raises(RepositoryError, match="not on github.com"):
        clone_repository(served_repo.url, "master")


def test_time_budget_stops_the_clone(served_repo, tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="took longer than 0 s"):
        clone_repository(served_repo.url, "master", allowed_hosts=LOOPBACK, workdir=tmp_path,
                         timeout_s=0)
    assert [p for p in tmp_path.iterdir() if p.name.startswith("velox_clone_")] == []
