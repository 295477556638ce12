"""The job kinds: which framework-free function does the work, on which queue, with which
status vocabulary and time limits.

To add a kind, add one ``JobKind(...)`` line to ``_KINDS``. The function is named by a
dotted path (``module:function``) and imported only when a job runs, so neither the web
process nor the worker's parent process imports heavy libraries (torch: CUDA must be
initialised only inside the forked child that trains).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from core.progress import JobFunction

QUEUES: tuple[str, ...] = ("cpu", "gpu")
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class JobKind:
    name: str
    target: str  # "package.module:function", shape fn(params, progress) -> dict
    queue: str = "cpu"
    initial_status: str = "queued"  # written with the row, before enqueueing
    running_status: str = "started"  # written when a worker picks the job up
    success_status: str = "succeeded"
    # Other final statuses the function may return in result["status"] (e.g. "rejected").
    extra_final_statuses: tuple[str, ...] = ()
    soft_time_limit: int = 55 * 60  # seconds; the function gets SoftTimeLimitExceeded
    time_limit: int = 60 * 60  # seconds; the worker child is killed

    def __post_init__(self) -> None:
        if self.queue not in QUEUES:
            raise ValueError(f"job kind {self.name}: unknown queue {self.queue!r}")
        if ":" not in self.target:
            raise ValueError(f"job kind {self.name}: target must be 'module:function'")
        if not 0 < self.soft_time_limit < self.time_limit:
            raise ValueError(f"job kind {self.name}: need 0 < soft_time_limit < time_limit")

    @property
    def final_statuses(self) -> tuple[str, ...]:
        return (self.success_status, *self.extra_final_statuses, FAILED)

    def load(self) -> JobFunction:
        """Import and return the job function."""
        module_name, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module_name), attr)


_KINDS: list[JobKind] = [
    JobKind("ping", "core.jobs.ping:run_ping", soft_time_limit=100, time_limit=120),
    JobKind("scan", "core.analysis.jobs:run_scan"),
    JobKind("optimize", "core.optimize.jobs:run_optimize"),
    JobKind("repository_scan", "core.repository.jobs:run_repository_scan"),
    JobKind("repository_optimize", "core.repository.jobs:run_repository_optimize"),
    JobKind("monitor", "core.monitor:run_monitor", soft_time_limit=25 * 60, time_limit=30 * 60),
    JobKind(
        "train", "ml.jobs:run_training", queue="gpu",
        initial_status="initiated", running_status="generating",
        success_status="completed", extra_final_statuses=("rejected",),
        soft_time_limit=5 * 3600 + 50 * 60, time_limit=6 * 3600,
    ),
]

JOB_KINDS: dict[str, JobKind] = {kind.name: kind for kind in _KINDS}


class UnknownJobKind(KeyError):
    """No job kind of that name."""

    def __str__(self) -> str:
        return f"unknown job kind {self.args[0]!r} (known: {', '.join(sorted(JOB_KINDS))})"


def get_kind(name: str) -> JobKind:
    try:
        return JOB_KINDS[name]
    except KeyError:
        raise UnknownJobKind(name) from None


def longest_time_limit() -> int:
    """The longest hard limit of any kind: the broker's visibility timeout must exceed it."""
    return max(kind.time_limit for kind in JOB_KINDS.values())
