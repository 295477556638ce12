"""What every detector is: an id, the action type that fixes what it finds, a severity,
the bottleneck (``title``) and the fix (``fix``) it reports, and the node types it wants
to see during the shared walk (see ``core.analysis.context``).

A detector's module docstring shows the bad and the good code. Detectors must prove what
they claim (``core.analysis.facts``): a finding on idiomatic code is a defect.
"""

from __future__ import annotations

import ast
from typing import ClassVar

from core.actions import ACTION_INDEX
from core.analysis.context import AnalysisContext
from core.analysis.model import Severity


class Detector:
    id: ClassVar[str]
    name: ClassVar[str]  # kebab-case, e.g. "list-membership-in-loop"
    action_type: ClassVar[str]
    severity: ClassVar[Severity]
    title: ClassVar[str]
    fix: ClassVar[str]
    node_types: ClassVar[tuple[type[ast.AST], ...]] = ()
    leave_types: ClassVar[tuple[type[ast.AST], ...]] = ()
    has_finish: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "id", None) is None:
            return
        if cls.action_type not in ACTION_INDEX:
            raise TypeError(f"{cls.id}: unknown action type {cls.action_type!r}")
        if cls.severity not in ("high", "medium", "low"):
            raise TypeError(f"{cls.id}: bad severity {cls.severity!r}")

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        """Called for each node of ``node_types``, before its children are walked."""

    def leave(self, node: ast.AST, ctx: AnalysisContext) -> None:
        """Called for each node of ``leave_types`` after its body has been walked."""

    def finish(self, ctx: AnalysisContext) -> None:
        """Called once after the walk when ``has_finish`` is set."""

    @classmethod
    def doc(cls) -> str:
        import sys

        return (sys.modules[cls.__module__].__doc__ or "").strip()
