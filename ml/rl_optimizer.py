"""The guide's Python entry point to the policies::

    from ml.rl_optimizer import get_rl_optimizer

    optimizer = get_rl_optimizer()
    optimizer.policy_manager.promote_shadow_to_active()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.analysis.model import FileAnalysis
from ml.policy import PolicyManager, Ranking, get_policy_manager
from ml.state import build_state


class RLOptimizer:
    """Ranks action types for analysed files with the active policy."""

    def __init__(self, policy_manager: PolicyManager) -> None:
        self.policy_manager = policy_manager

    def rank_actions(self, state: Sequence[float]) -> list[str]:
        return self.policy_manager.rank_actions(state)

    def rank_for_analysis(self, analysis: FileAnalysis) -> Ranking:
        """State of the file, then the active policy's ranking of it."""
        return self.policy_manager.rank(build_state(analysis))


def get_rl_optimizer(settings: Any = None) -> RLOptimizer:
    """An optimizer over the process's policy manager (one per model directory)."""
    return RLOptimizer(get_policy_manager(settings))
