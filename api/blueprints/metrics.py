"""``GET /metrics``: per-policy model version, average reward and success rate on recent
feedback, feedback record counts and job counts (definitions: :mod:`ml.metrics`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict

from api.openapi import api_doc
from api.validation import current_settings

bp = Blueprint("metrics", __name__)


class PolicyMetrics(BaseModel):
    model_config = ConfigDict(extra="allow")

    model_version: str | None
    avg_reward: float | None
    success_rate: float | None


class MetricsResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    active_policy: PolicyMetrics
    shadow_policy: PolicyMetrics
    feedback_records: int


@bp.get("/metrics")
@api_doc(summary="Policy performance on feedback, feedback and job counts",
         responses={200: MetricsResponse}, tags=["metrics"])
def metrics() -> Any:
    from ml.metrics import policy_metrics  # noqa: PLC0415

    return jsonify(policy_metrics(current_settings()))


class PromoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    force: bool = False


@bp.post("/policy/promote")
@api_doc(summary="Promote the shadow policy to active through the evaluation gate (or force)",
         request=PromoteRequest, responses={200: "promotion result", 409: "gate rejected",
                                            422: "no shadow policy / no evaluation data"},
         tags=["metrics"])
def promote() -> Any:
    from api.errors import ApiError  # noqa: PLC0415
    from api.validation import parse_body  # noqa: PLC0415
    from ml.policy import PolicyError, get_policy_manager  # noqa: PLC0415

    body = parse_body(PromoteRequest)
    try:
        result = get_policy_manager(current_settings()).promote_shadow_to_active(force=body.force)
    except PolicyError as exc:
        raise ApiError(422, str(exc), error="promotion_impossible") from None
    return jsonify(result), 200 if result["promoted"] else 409


@bp.get("/policy")
@api_doc(summary="Active and shadow policy files, versions and load errors", tags=["metrics"])
def policy_status() -> Any:
    from ml.policy import get_policy_manager  # noqa: PLC0415

    return jsonify(get_policy_manager(current_settings()).status())
