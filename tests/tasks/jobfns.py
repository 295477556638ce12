"""Job functions used only by the runner tests, to exercise its failure paths."""

from __future__ import annotations

from typing import Any


def boom(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    progress(phase="about to fail", progress=0.3)
    raise ValueError("the input\nwas bad")


def not_a_dict(params: dict[str, Any], progress: Any) -> Any:
    return ["a", "list"]


def rejected(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    progress(status="evaluating")
    return {"status": "rejected", "gate_passed": False}


def unknown_status(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    return {"status": "whatever"}


def nan_result(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    return {"score": float("nan"), "pair": (1, 2)}


def unserialisable(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    return {"value": object()}


def chatty(params: dict[str, Any], progress: Any) -> dict[str, Any]:
    for i in range(200):
        progress(phase="step", progress=i / 200)
    return {"steps": 200}
