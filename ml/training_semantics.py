"""The action taxonomy as the training code sees it (the guide's ``training_semantics``).

The list itself lives in :mod:`core.actions` so that detectors, rules and the policy share
one vocabulary; it is re-exported here under the guide's name. To add an action type,
add it to ``core.actions.ACTION_MEANINGS`` (before ``no_change``) and retrain: the action
space, the state layout (one findings column per type) and every checkpoint follow that
list, and a checkpoint trained on another list refuses to load.
"""

from __future__ import annotations

from core.actions import ACTION_INDEX, ACTION_MEANINGS, NUM_ACTIONS, PRODUCTION_ACTION_TYPES

__all__ = [
    "ACTION_INDEX",
    "ACTION_MEANINGS",
    "NUM_ACTIONS",
    "PRODUCTION_ACTION_TYPES",
    "IncompatibleCheckpointError",
    "check_compatible",
]


class IncompatibleCheckpointError(ValueError):
    """A checkpoint was trained on another action list or state layout."""


def check_compatible(
    action_types: list[str], state_layout: list[str], *, what: str = "checkpoint"
) -> None:
    """Raise :class:`IncompatibleCheckpointError` unless both lists match the running code's."""
    from ml.state import STATE_LAYOUT  # noqa: PLC0415 - avoid an import cycle

    if list(action_types) != PRODUCTION_ACTION_TYPES:
        ours, theirs = set(PRODUCTION_ACTION_TYPES), set(action_types)
        detail = []
        if theirs - ours:
            detail.append(f"unknown here: {', '.join(sorted(theirs - ours))}")
        if ours - theirs:
            detail.append(f"missing there: {', '.join(sorted(ours - theirs))}")
        if not detail:
            detail.append("same names in another order")
        raise IncompatibleCheckpointError(
            f"{what} was trained on {len(action_types)} action types, this code has "
            f"{NUM_ACTIONS} ({'; '.join(detail)}); retrain with --fresh-start"
        )
    if list(state_layout) != STATE_LAYOUT:
        raise IncompatibleCheckpointError(
            f"{what} was trained on a state vector of {len(state_layout)} features, this code "
            f"builds {len(STATE_LAYOUT)} (layout changed); retrain with --fresh-start"
        )
