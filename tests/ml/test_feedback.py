from __future__ import annotations

import json
import multiprocessing as mp

import pytest
from sqlalchemy import select

from core.storage.db import session_scope
from core.storage.models import OptimizationEpisode
from ml.feedback import count_feedback_records, read_feedback_records, record_transition
from ml.feedback_training import train_shadow
from ml.metrics import policy_metrics
from ml.state import STATE_DIM


def _s(v: float) -> list[float]:
    return [v] * STATE_DIM


def test_line_in_the_guides_format_and_a_db_row(ml_settings):
    out = record_transition(_s(0.75), "caching_strategy", 8.5, _s(0.65), done=True,
                            validation_status="validated", runtime_delta_pct=-40.0,
                            memory_delta_pct=5.0, policy_version="v1", settings=ml_settings)
    line = ml_settings.feedback_path.read_text().splitlines()[-1]
    rec = json.loads(line)
    assert list(rec) == ["state", "action_idx", "reward", "next_state", "done", "source", "timestamp"]
    assert rec["action_idx"] == 2 and rec["reward"] == 8.5 and rec["done"] is True
    assert rec["source"] == "shadow_feedback" and rec["timestamp"].endswith("Z")
    assert '"done": true' in line
    with session_scope(ml_settings.database_url) as session:
        row = session.scalars(select(OptimizationEpisode)).one()
        assert (row.id, row.action_type, row.reward, row.policy_version, row.runtime_delta_pct) == (
            out["db_id"], "caching_strategy", 8.5, "v1", -40.0)
        assert row.state == _s(0.75) and row.done is True


def test_pg_row(pg_settings):
    out = record_transition(_s(0.1), 3, -1.0, _s(0.1), settings=pg_settings)
    assert out["db_id"] is not None and out["db_error"] is None


@pytest.mark.parametrize("kwargs, message", [
    ({"state": [0.1]}, "expected"), ({"action": "teleport"}, "unknown action type"),
    ({"action": 99}, "outside"), ({"reward": float("nan")}, "finite"),
])
def test_bad_input_writes_nothing(ml_settings, kwargs, message):
    args = {"state": _s(0.5), "action": 1, "reward": 1.0, "next_state": _s(0.4)} | kwargs
    with pytest.raises(ValueError, match=message):
        record_transition(settings=ml_settings, **args)
    assert not ml_settings.feedback_path.exists()


def test_database_down_keeps_the_line(configure_settings):
    settings = configure_settings(DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    out = record_transition(_s(0.5), 1, 2.0, _s(0.4), settings=settings)
    assert out["db_id"] is None and "OperationalError" in out["db_error"]
    assert count_feedback_records(settings.feedback_path) == 1


def _append_many(path_str: str, worker: int) -> None:
    from core.settings import load_settings

    settings = load_settings(TRAINING_DATA_PATH=path_str)
    for i in range(40):
        record_transition(_s(worker / 10), worker, float(i), _s(0.0), settings=settings,
                          write_db=False)


def test_concurrent_appenders_never_tear_lines(tmp_path):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path), w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    records = read_feedback_records(tmp_path / "online_feedback.jsonl")
    assert len(records) == count_feedback_records(tmp_path / "online_feedback.jsonl") == 160
    assert sorted({r["action_idx"] for r in records}) == [0, 1, 2, 3]


def test_shadow_training_after_n_new_records_and_metrics(ml_settings, small_data):
    train, _ = small_data
    for i in range(30):
        record_transition(train.states[i].tolist(), int(train.actions[i]), float(train.rewards[i]),
                          train.next_states[i].tolist(), bool(train.dones[i]), settings=ml_settings)
    skipped = train_shadow(ml_settings, min_new_records=50, epochs=1, steps_per_epoch=5)
    assert skipped["status"] == "skipped" and skipped["new_records"] == 30
    metrics = policy_metrics(ml_settings)
    assert metrics["active_policy"]["model_version"] == "heuristic"
    assert metrics["shadow_policy"] == {"model_version": None, "avg_reward": None,
                                        "success_rate": None, "matched_records": 0}
    assert metrics["feedback_records"] == 30 and metrics["feedback_records_db"] == 30

    trained = train_shadow(ml_settings, min_new_records=20, epochs=1, steps_per_epoch=20)
    assert trained["status"] == "trained" and trained["records"] == 30
    assert trained["holdout"] == 6 and trained["train_real"] == 24
    assert trained["train_synthetic"] == 216  # 10 % real below 1000 records
    assert (ml_settings.model_dir / "dqn_model_shadow.pth").exists()
    assert train_shadow(ml_settings, min_new_records=20)["status"] == "skipped"  # nothing new

    metrics = policy_metrics(ml_settings)
    shadow = metrics["shadow_policy"]
    assert shadow["model_version"] == trained["model_version"]
    assert metrics["evaluated_feedback_records"] == 30
    if shadow["matched_records"]:
        assert 0.0 <= shadow["success_rate"] <= 1.0
    active = metrics["active_policy"]
    assert active["matched_records"] > 0  # the heuristic agrees with some logged actions
    assert active["avg_reward"] is not None


def test_shadow_training_is_scheduled_on_the_gpu_queue(ml_settings):
    from tasks.celery_app import BEAT_SCHEDULE, TASK_MODULES
    from tasks.train import SHADOW_TASK, train_shadow_task

    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == SHADOW_TASK)
    assert entry["options"]["queue"] == "gpu" and "tasks.train" in TASK_MODULES
    # run the task body in process: no feedback yet, so nothing to train
    assert train_shadow_task.run(min_new_records=5)["status"] == "skipped"
