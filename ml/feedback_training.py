"""Shadow training on online feedback, and the data the promotion gate judges on.

:func:`train_shadow` is what a periodic task (Celery beat) calls: once at least
``min_new_records`` feedback transitions arrived since the shadow last trained, it
fine-tunes a shadow policy (starting from the shadow, else the active weights) on the
older 80 % of the real transitions mixed with synthetic ones in the guide's proportions,
keeps the newest 20 % as the shadow's holdout (``shadow_holdout.jsonl``, what promotion
compares both policies on), and publishes ``dqn_model_shadow.pth`` atomically.
One run at a time per model directory (an ``flock``); a second caller gets ``busy``.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import time
from pathlib import Path
from typing import Any

import orjson

from ml import checkpoint as ckpt
from ml.transitions import TransitionArrays, atomic_writer, format_lines, read_jsonl

SHADOW_HOLDOUT = "shadow_holdout.jsonl"
SHADOW_STATE = "shadow_state.json"
DEFAULT_MIN_NEW_RECORDS = 100
MAX_SYNTHETIC = 50_000


def real_fraction(records: int) -> float:
    """Share of real transitions in the shadow's training mix (the guide's schedule):
    up to 1000 records 10 %, up to 10000 30 %, beyond 50 %."""
    if records < 1000:
        return 0.1
    if records < 10_000:
        return 0.3
    return 0.5


def _read_state(model_dir: Path) -> dict[str, Any]:
    try:
        return orjson.loads((model_dir / SHADOW_STATE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}


def promotion_eval_data(model_dir: Path, settings: Any) -> tuple[TransitionArrays, str]:
    """(transitions, description): the shadow's holdout, else every feedback transition."""
    holdout = Path(model_dir) / SHADOW_HOLDOUT
    if holdout.is_file():
        data = read_jsonl(holdout)
        if len(data):
            return data, str(holdout)
    if settings is None:
        from core.settings import get_settings  # noqa: PLC0415

        settings = get_settings()
    from ml.generator import load_real_transitions  # noqa: PLC0415

    records, *_ = load_real_transitions(settings)
    return TransitionArrays.from_records(records, where="feedback record"), "feedback"


def train_shadow(
    settings: Any = None,
    *,
    min_new_records: int = DEFAULT_MIN_NEW_RECORDS,
    force: bool = False,
    epochs: int = 5,
    steps_per_epoch: int = 200,
    batch_size: int = 64,
    holdout_fraction: float = 0.2,
    seed: int = 0,
    log: Any = None,
) -> dict[str, Any]:
    """Train the shadow policy on new feedback; returns ``{"status": "trained" | "skipped" |
    "busy", ...}``. ``force`` trains whatever the number of new records (at least one)."""
    if settings is None:
        from core.settings import get_settings  # noqa: PLC0415

        settings = get_settings()
    model_dir = Path(settings.model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(model_dir / ".shadow.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return {"status": "busy", "reason": "another shadow training is running"}
        return _train_locked(settings, model_dir, min_new_records=min_new_records, force=force,
                             epochs=epochs, steps_per_epoch=steps_per_epoch,
                             batch_size=batch_size, holdout_fraction=holdout_fraction,
                             seed=seed, log=log or (lambda _line: None))
    finally:
        os.close(lock_fd)


def _train_locked(settings, model_dir, *, min_new_records, force, epochs, steps_per_epoch,
                  batch_size, holdout_fraction, seed, log) -> dict[str, Any]:
    from ml.generator import generate_synthetic, load_real_transitions  # noqa: PLC0415
    from ml.pretrain import (  # noqa: PLC0415
        PretrainConfig,
        evaluate_model,
        resolve_device,
        train_offline,
    )

    records, from_db, from_file, skipped = load_real_transitions(settings)
    state = _read_state(model_dir)
    new = len(records) - int(state.get("trained_records", 0))
    if len(records) == 0 or (not force and new < min_new_records):
        return {"status": "skipped", "records": len(records), "new_records": max(0, new),
                "min_new_records": min_new_records}
    real = TransitionArrays.from_records(records, where="feedback record")
    n_hold = int(len(real) * holdout_fraction) if len(real) >= 5 else 0
    train_real, holdout = real.take(slice(0, len(real) - n_hold)), real.take(slice(len(real) - n_hold, None))
    frac = real_fraction(len(records))
    n_syn = min(MAX_SYNTHETIC, int(round(len(train_real) * (1 - frac) / frac)))
    synthetic = generate_synthetic(n_syn, seed=seed, weights=settings.objective_weights)
    train = TransitionArrays.concat([train_real, synthetic])

    init, base = None, None
    for which in (ckpt.SHADOW_NAME, ckpt.ACTIVE_NAME):
        path = model_dir / which
        if path.is_file():
            try:
                payload = ckpt.load(path)
            except ValueError:
                continue
            init, base = payload, str(payload.get("model_version"))
            break
    hidden = int(init["hyperparameters"].get("hidden_dim", 256)) if init else 256
    version = f"shadow_{int(time.time())}_{secrets.token_hex(4)}"
    config = PretrainConfig(
        train=Path("<feedback>"), output=model_dir / ckpt.SHADOW_NAME, epochs=epochs,
        steps_per_epoch=steps_per_epoch, batch_size=min(batch_size, len(train)),
        replay_buffer_size=max(len(train), batch_size), hidden_dim=hidden, shuffle=True,
        fresh_start=True, seed=seed, model_version=version,
        learning_rate=3e-4 if init else 1e-3,
    )
    device = resolve_device("auto")
    model, stats = train_offline(train, config, device=device,
                                 init_state_dict=init["state_dict"] if init else None, log=log)
    evaluation = evaluate_model(model, holdout if len(holdout) else train_real, config.gamma, device)
    payload = ckpt.make_payload(
        model.state_dict(), model_version=version, hyperparameters=config.hyperparameters(),
        evaluation=evaluation,
        training={"real_transitions": len(train_real), "synthetic_transitions": n_syn,
                  "base_model_version": base, "epochs": stats[-1:]},
    )
    with atomic_writer(model_dir / SHADOW_HOLDOUT) as fh:
        fh.write(format_lines(holdout))
    ckpt.publish(payload, config.output)
    doc = {"trained_records": len(records), "model_version": version,
           "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with atomic_writer(model_dir / SHADOW_STATE) as fh:
        fh.write(orjson.dumps(doc))
    return {"status": "trained", "model_version": version, "base_model_version": base,
            "records": len(records), "from_db": from_db, "from_feedback": from_file,
            "skipped": skipped, "new_records": new, "train_real": len(train_real),
            "train_synthetic": n_syn, "holdout": len(holdout), "evaluation": evaluation,
            "checkpoint": str(config.output)}
