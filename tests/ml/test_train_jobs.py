"""Training jobs: ml.jobs.run_training directly, POST/GET /train and /metrics embedded, and
the job lifecycle through a real Celery worker on the gpu queue."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from api.app import create_app
from core.settings import Settings
from ml import checkpoint as ckpt
from ml.jobs import run_training

STATUSES = {"initiated", "generating", "training", "evaluating", "publishing", "completed",
            "rejected", "failed"}
TINY = {"synthetic_samples": 1500, "epochs": 2, "steps_per_epoch": 60, "batch_size": 32,
        "hidden_dim": 32, "replay_buffer_size": 1000, "seed": 1}


def test_run_training_reports_the_guides_statuses(ml_settings: Settings):
    seen: list[str] = []

    def progress(*, phase=None, progress=None, status=None):
        if status:
            seen.append(status)

    result = run_training({**TINY, "fresh_start": True}, progress, settings=ml_settings)
    assert seen == ["generating", "training", "evaluating", "publishing"]
    assert result["status"] == "completed" and result["evaluation"]["gate_passed"] is True
    for key in ("model_checkpoint", "dataset_path", "train_split", "holdout_split"):
        assert Path(result["artifacts"][key]).exists()
    assert result["data"]["train_transitions"] == 1200 and result["data"]["holdout_transitions"] == 300
    assert ckpt.load(result["artifacts"]["model_checkpoint"])["model_version"] == result["training_id"]
    assert result["config"]["epochs"] == 2 and result["config"]["learning_rate"] == 0.001


def _poll(client, training_id: str, timeout: float = 240.0) -> tuple[dict, list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = client.get(f"/train/{training_id}").get_json()
        if not seen or seen[-1] != doc["status"]:
            seen.append(doc["status"])
        if doc["status"] in ("completed", "rejected", "failed"):
            return doc, seen
        time.sleep(0.1)
    raise AssertionError(f"training {training_id} did not finish; statuses seen: {seen}")


def test_http_synchronous_then_gate_rejection_then_metrics(ml_settings: Settings):
    client = create_app(ml_settings).test_client()
    response = client.post("/train", json={**TINY, "synthetic_samples": 3000, "epochs": 3,
                                           "steps_per_epoch": 200, "hidden_dim": 64,
                                           "replay_buffer_size": 5000, "fresh_start": True,
                                           "background": False})
    assert response.status_code == 200, response.get_json()
    doc = response.get_json()
    assert doc["status"] == "completed" and doc["phase"] == "published"
    assert doc["evaluation"]["new_model_action_accuracy"] > 0.2
    assert set(doc["evaluation"]) >= {"new_model_td_error", "new_model_action_accuracy",
                                      "prev_model_td_error", "prev_model_action_accuracy",
                                      "td_error_delta_pct", "gate_passed"}
    assert doc["artifacts"]["dataset_path"].endswith(f"dataset_{doc['job_id']}.jsonl")
    published = Path(doc["artifacts"]["model_checkpoint"]).read_bytes()

    # same data and seed, so the same holdout; another hidden size, so no warm start
    worse = client.post("/train", json={**TINY, "synthetic_samples": 3000, "hidden_dim": 8,
                                        "epochs": 1,
                                        "steps_per_epoch": 1, "background": False})
    assert worse.status_code == 200
    rejected = worse.get_json()
    assert rejected["status"] == "rejected" and rejected["evaluation"]["gate_passed"] is False
    assert rejected["evaluation"]["prev_model_td_error"] == doc["evaluation"]["new_model_td_error"]
    assert Path(doc["artifacts"]["model_checkpoint"]).read_bytes() == published

    listing = client.get("/train?limit=1").get_json()
    assert listing["count"] == 1 and listing["jobs"][0]["job_id"] == rejected["job_id"]
    assert client.get("/train?limit=10").get_json()["count"] == 2

    metrics = client.get("/metrics").get_json()
    assert metrics["active_policy"]["model_version"] == doc["job_id"]
    assert metrics["shadow_policy"]["model_version"] is None
    assert metrics["jobs"]["by_kind"]["train"] == {"completed": 1, "rejected": 1}


def test_http_background_reports_live_status(ml_settings: Settings):
    client = create_app(ml_settings).test_client()
    response = client.post("/train", json={**TINY, "fresh_start": True, "background": True})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "initiated" and body["training_id"].startswith("job_")
    assert body["message"] == "Training job started in background"
    assert body["job_metadata"] == {"synthetic_samples": 1500, "epochs": 2, "steps_per_epoch": 60}
    doc, seen = _poll(client, body["training_id"])
    assert doc["status"] == "completed" and set(seen) <= STATUSES


@pytest.mark.parametrize("body, field", [
    ({"epochs": 0}, "epochs"), ({"holdout_fraction": 1.0}, "holdout_fraction"),
    ({"learning_rate": -1}, "learning_rate"), ({"epoch": 3}, "epoch"),
    ({"background": "yes"}, "background"), ({"batch_size": 64, "replay_buffer_size": 10},
                                            "replay_buffer_size"),
])
def test_http_bad_bodies_are_422_naming_the_field(ml_settings: Settings, body, field):
    response = create_app(ml_settings).test_client().post("/train", json=body)
    assert response.status_code == 422
    assert field in {f["field"] for f in response.get_json()["fields"]}


def test_http_unknown_training_and_bad_limit(ml_settings: Settings):
    client = create_app(ml_settings).test_client()
    assert client.get("/train/job_1_deadbeef").status_code == 404
    assert client.get("/train?limit=0").status_code == 422


def test_http_policy_promotion(ml_settings: Settings, tiny_config):
    from ml.pretrain import run_pretrain

    client = create_app(ml_settings).test_client()
    assert client.post("/policy/promote", json={}).status_code == 422  # no shadow yet
    shadow = run_pretrain(tiny_config(fresh_start=True,
                                      output=ml_settings.model_dir / ckpt.SHADOW_NAME),
                          log=lambda _: None)
    forced = client.post("/policy/promote", json={"force": True})
    assert forced.status_code == 200 and forced.get_json()["promoted"] is True
    assert client.get("/policy").get_json()["active"]["model_version"] == shadow.model_version


@pytest.mark.slow
def test_training_through_a_real_worker_on_the_gpu_queue(celery_worker_proc,
                                                        distributed_settings: Settings):
    client = create_app(distributed_settings).test_client()
    response = client.post("/train", json={**TINY, "fresh_start": True, "background": True})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "initiated"  # the row exists before the task is sent
    doc, seen = _poll(client, body["training_id"])
    assert doc["status"] == "completed", doc
    assert set(seen) <= STATUSES and doc["phase"] == "published"
    job = client.get(f"/jobs/{body['training_id']}").get_json()
    assert job["kind"] == "train" and job["worker"].startswith(celery_worker_proc.hostname)
    model = Path(celery_worker_proc.env["MODEL_CHECKPOINT_PATH"]) / ckpt.ACTIVE_NAME
    assert ckpt.load(model)["model_version"] == body["training_id"]
    assert doc["artifacts"]["model_checkpoint"] == str(model)


_TORN_PUBLISH = """
import io, os, signal, sys
import torch
from ml import checkpoint as ckpt

path = sys.argv[1]
payload = ckpt.load(path)
payload["model_version"] = "torn"
buffer = io.BytesIO()
torch.save(payload, buffer)
data = buffer.getvalue()

def save_half_then_die(obj, fh):  # the process is SIGKILLed in the middle of the write
    fh.write(data[: len(data) // 2])
    fh.flush()
    os.kill(os.getpid(), signal.SIGKILL)

torch.save = save_half_then_die
ckpt.publish(payload, path)
"""


def test_a_process_killed_while_publishing_leaves_the_previous_model(ml_settings: Settings,
                                                                    tiny_config):
    """Publishing is temp file + fsync + rename: SIGKILL half-way through the write leaves
    the published checkpoint byte for byte as it was (the torn bytes stay in a hidden
    temporary file that nothing loads)."""
    import signal
    import subprocess
    import sys

    from ml.pretrain import run_pretrain

    first = run_pretrain(tiny_config(fresh_start=True), log=lambda _: None)
    before = first.output.read_bytes()
    proc = subprocess.run([sys.executable, "-c", _TORN_PUBLISH, str(first.output)],
                          cwd=Path(__file__).resolve().parents[2], capture_output=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    assert first.output.read_bytes() == before
    assert ckpt.load(first.output)["model_version"] == first.model_version
    [torn] = [p for p in first.output.parent.iterdir() if p.name.endswith(".tmp")]
    assert torn.name.startswith(f".{ckpt.ACTIVE_NAME}.") and 0 < torn.stat().st_size < len(before)
