"""``velox policy``: status of the active/shadow policies, promotion, shadow training."""

from __future__ import annotations

import argparse
import json
from typing import Any

from api.cli import UsageError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("policy", help="active/shadow policy status and promotion",
                              description="Inspect, train and promote the DQN policies.")
    sub = p.add_subparsers(dest="policy_command", metavar="ACTION")
    sub.required = True
    st = sub.add_parser("status", help="versions, files and feedback metrics of both policies")
    st.add_argument("--json", action="store_true", help="print JSON")
    st.set_defaults(handler=handle_status)
    pr = sub.add_parser("promote", help="promote the shadow policy to active through the gate")
    pr.add_argument("--force", action="store_true", help="skip the evaluation gate")
    pr.set_defaults(handler=handle_promote)
    tr = sub.add_parser("train-shadow", help="train the shadow policy on new feedback now")
    tr.add_argument("--force", action="store_true",
                    help="train even with fewer than --min-new-records new records")
    tr.add_argument("--min-new-records", type=int, default=100,
                    help="new feedback records needed to train (default: 100)")
    tr.set_defaults(handler=handle_train_shadow)


def handle_status(args: argparse.Namespace) -> int:
    from core.settings import get_settings  # noqa: PLC0415
    from ml.metrics import policy_metrics  # noqa: PLC0415
    from ml.policy import get_policy_manager  # noqa: PLC0415

    settings = get_settings()
    status = get_policy_manager(settings).status()
    metrics = policy_metrics(settings)
    if args.json:
        print(json.dumps({"policies": status, "metrics": metrics}, indent=2, default=str))
        return 0
    for which in ("active", "shadow"):
        s, m = status[which], metrics[f"{which}_policy"]
        print(f"{which}: {s['model_version'] or 'none'}"
              f"{'' if s['exists'] else ' (no checkpoint)'}  path={s['path']}")
        if s["error"]:
            print(f"  error: {s['error']}")
        if m.get("matched_records"):
            print(f"  avg_reward={m['avg_reward']}  success_rate={m['success_rate']}  "
                  f"(on {m['matched_records']} matching feedback records)")
    print(f"feedback records: {metrics['feedback_records']} in file, "
          f"{metrics['feedback_records_db'] if metrics['feedback_records_db'] is not None else 'n/a'}"
          " in database")
    return 0


def handle_promote(args: argparse.Namespace) -> int:
    from ml.policy import PolicyError, get_policy_manager  # noqa: PLC0415

    try:
        result = get_policy_manager().promote_shadow_to_active(force=args.force)
    except PolicyError as exc:
        raise UsageError(str(exc)) from None
    if result["promoted"]:
        print(f"Shadow policy promoted to active: {result['active_model_version']}"
              f"{' (forced, gate skipped)' if result['forced'] else ''}")
        return 0
    ev = result.get("evaluation", {})
    print(f"Evaluation gate rejected the shadow policy: {result.get('reason')}")
    print(f"  shadow TD error {ev.get('new_model_td_error')}, active {ev.get('prev_model_td_error')}"
          f"; accuracy {ev.get('new_model_action_accuracy')} vs {ev.get('prev_model_action_accuracy')}")
    return 1


def handle_train_shadow(args: argparse.Namespace) -> int:
    from ml.feedback_training import train_shadow  # noqa: PLC0415

    if args.min_new_records < 1:
        raise UsageError("--min-new-records must be at least 1")
    result = train_shadow(min_new_records=args.min_new_records, force=args.force)
    if result["status"] == "trained":
        ev = result["evaluation"]
        print(f"Shadow policy trained: {result['model_version']} on {result['train_real']} real + "
              f"{result['train_synthetic']} synthetic transitions; holdout TD error "
              f"{ev['td_error']}, action accuracy {ev['action_accuracy']}")
        return 0
    print(f"Shadow training {result['status']}: " + ", ".join(
        f"{k}={v}" for k, v in result.items() if k != "status"))
    return 0
