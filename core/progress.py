"""How long operations report progress, without knowing who listens.

A job function (``core``/``ml``) takes ``params`` and a ``Progress`` callback; the Celery
task, the embedded executor and the CLI's progress bar each pass their own callback.
"""

from __future__ import annotations

from typing import Any, Protocol


class Progress(Protocol):
    def __call__(
        self,
        *,
        phase: str | None = None,
        progress: float | None = None,
        status: str | None = None,
    ) -> None:
        """``progress`` is a fraction in [0, 1]; ``status`` is set only by jobs with their own
        status vocabulary (training: generating, training, evaluating, publishing)."""


def no_progress(*, phase: str | None = None, progress: float | None = None, status: str | None = None) -> None:
    """A Progress that ignores every report."""


class JobFunction(Protocol):
    def __call__(self, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
        """Do the work and return a JSON-serialisable result. A ``"status"`` key in the
        result overrides the kind's success status (e.g. training's ``rejected``)."""
