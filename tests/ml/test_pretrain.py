from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from api.cli import build_parser
from api.cli import main as velox
from api.cli.pretrain import build_config
from core.actions import NUM_ACTIONS, PRODUCTION_ACTION_TYPES
from ml import checkpoint as ckpt
from ml.dqn import QNetwork, evaluate, pack
from ml.pretrain import PretrainError, gate_decision, run_pretrain
from ml.state import STATE_DIM, STATE_LAYOUT
from ml.training_semantics import IncompatibleCheckpointError


def test_publishes_checkpoint_and_summary_with_the_guides_progress(tiny_config):
    lines: list[str] = []
    result = run_pretrain(tiny_config(fresh_start=True), log=lines.append)
    text = "\n".join(lines)
    for expected in ("INFO: Loaded 2400 training transitions", "INFO: Loaded 600 holdout transitions",
                     "INFO: Starting offline pretraining...", "Epoch 1/2:", "  - Updates: 80",
                     "  - Avg loss: ", "  - Epsilon: 0.050", "Holdout Evaluation:",
                     "  - Mean TD error: ", "  - Mean reward: ", "  - Action accuracy: ",
                     f"Model saved to: {result.output}"):
        assert expected in text
    assert result.published
    payload = ckpt.load(result.output)
    assert payload["action_types"] == PRODUCTION_ACTION_TYPES
    assert payload["state_layout"] == STATE_LAYOUT
    assert payload["hyperparameters"]["hidden_dim"] == 32
    assert payload["hyperparameters"]["gamma"] == 0.99
    assert payload["model_version"] == result.model_version
    assert set(payload["state_dict"]) == set(QNetwork(STATE_DIM, NUM_ACTIONS, 32).state_dict())
    summary = json.loads(ckpt.summary_path(result.output).read_text())
    assert ckpt.summary_path(result.output).name == "dqn_model_pretrain_summary.json"
    assert summary["published"] is True and summary["data"]["holdout_transitions"] == 600
    assert summary["evaluation"]["action_accuracy"] == result.evaluation["action_accuracy"]
    assert [e["updates"] for e in summary["epochs"]] == [40, 80]


def test_training_learns_the_findings_to_action_mapping(tiny_config):
    before = run_pretrain(tiny_config(fresh_start=True, epochs=1, steps_per_epoch=1),
                          log=lambda _: None)
    after = run_pretrain(tiny_config(fresh_start=True, epochs=4, steps_per_epoch=250,
                                     hidden_dim=64), log=lambda _: None)
    assert after.evaluation["action_accuracy"] > 0.35
    assert after.evaluation["action_accuracy"] > before.evaluation["action_accuracy"] + 0.2
    assert after.evaluation["td_error"] < before.evaluation["td_error"]


def test_gate_rejects_a_worse_model_and_keeps_the_published_one(tiny_config, capsys):
    good = run_pretrain(tiny_config(fresh_start=True, epochs=3, steps_per_epoch=200, hidden_dim=64),
                        log=lambda _: None)
    published = good.output.read_bytes()
    # another hidden size: no warm start, one update -> clearly worse on the same holdout
    worse = tiny_config(hidden_dim=8, epochs=1, steps_per_epoch=1)
    rc = velox(["pretrain", "--train", str(worse.train), "--holdout", str(worse.holdout),
                "--output", str(worse.output), "--epochs", "1", "--steps-per-epoch", "1",
                "--hidden-dim", "8", "--batch-size", "32"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "Evaluation gate rejected new model" in out
    assert good.output.read_bytes() == published
    summary = json.loads(ckpt.summary_path(good.output).read_text())
    assert summary["published"] is False and summary["gate"]["gate_passed"] is False
    assert summary["previous_model_version"] == good.model_version


def test_gate_accepts_a_better_model(tiny_config):
    weak = run_pretrain(tiny_config(fresh_start=True, hidden_dim=8, epochs=1, steps_per_epoch=1),
                        log=lambda _: None)
    better = run_pretrain(tiny_config(epochs=3, steps_per_epoch=200, hidden_dim=64), log=lambda _: None)
    assert better.published and better.gate["gate_passed"]
    assert better.gate["prev_model_td_error"] == weak.evaluation["td_error"]
    assert better.gate["td_error_delta_pct"] < 0
    assert ckpt.load(better.output)["model_version"] == better.model_version != weak.model_version


def test_warm_start_from_the_published_weights(tiny_config):
    first = run_pretrain(tiny_config(fresh_start=True), log=lambda _: None)
    lines: list[str] = []
    run_pretrain(tiny_config(epochs=1, steps_per_epoch=1, learning_rate=1e-9), log=lines.append)
    assert any("from the published weights" in ln for ln in lines)
    assert first.output.exists()


def test_gate_decision_rule():
    new = {"td_error": 0.4, "action_accuracy": 0.70}
    assert gate_decision(new, None)["gate_passed"]
    passed = gate_decision(new, {"td_error": 0.5, "action_accuracy": 0.705})
    assert passed["gate_passed"] and passed["td_error_delta_pct"] == -20.0
    assert not gate_decision(new, {"td_error": 0.39, "action_accuracy": 0.5})["gate_passed"]
    assert not gate_decision(new, {"td_error": 0.5, "action_accuracy": 0.75})["gate_passed"]


def test_checkpoint_with_another_action_list_fails_clearly(tiny_config):
    config = tiny_config()
    payload = ckpt.make_payload(QNetwork(STATE_DIM, NUM_ACTIONS, 32).state_dict(),
                                model_version="old", hyperparameters={"hidden_dim": 32})
    payload["action_types"] = PRODUCTION_ACTION_TYPES[:-1] + ["custom_ml_optimization", "no_change"]
    ckpt.publish(payload, config.output)
    with pytest.raises(IncompatibleCheckpointError, match="26 action types.*custom_ml_optimization"):
        ckpt.load(config.output)
    with pytest.raises(PretrainError, match="retrain with --fresh-start"):
        run_pretrain(config, log=lambda _: None)
    assert run_pretrain(tiny_config(fresh_start=True), log=lambda _: None).published


def test_foreign_file_is_not_a_checkpoint(tmp_path):
    p = tmp_path / "dqn_model.pth"
    torch.save({"policy": torch.zeros(3)}, p)
    with pytest.raises(ckpt.CheckpointError, match="not a Velox DQN checkpoint"):
        ckpt.load(p)
    p.write_bytes(b"garbage")
    with pytest.raises(ckpt.CheckpointError, match="not a readable checkpoint"):
        ckpt.load(p)


def test_bad_inputs(tiny_config, tmp_path):
    with pytest.raises(PretrainError, match="Replay buffer too small"):
        run_pretrain(tiny_config(batch_size=5000, replay_buffer_size=5000), log=lambda _: None)
    with pytest.raises(PretrainError, match="file not found"):
        run_pretrain(tiny_config(train=tmp_path / "nope.jsonl"), log=lambda _: None)
    with pytest.raises(PretrainError, match="--gamma"):
        run_pretrain(tiny_config(gamma=1.5), log=lambda _: None)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"state": [1]}\n')
    with pytest.raises(PretrainError, match="line 1"):
        run_pretrain(tiny_config(train=bad), log=lambda _: None)


def test_cli_flags_and_defaults_are_the_guides(configure_settings):
    settings = configure_settings()
    args = build_parser().parse_args(["pretrain", "--train", "t.jsonl"])
    c = build_config(args)
    assert (c.holdout, c.epochs, c.steps_per_epoch, c.batch_size, c.learning_rate, c.gamma,
            c.epsilon_start, c.epsilon_end, c.hidden_dim, c.replay_buffer_size, c.shuffle,
            c.fresh_start, c.seed) == (None, 40, 1000, 64, 0.001, 0.99, 1.0, 0.05, 256, 10000,
                                       False, False, 42)
    assert c.output == settings.model_dir / "dqn_model.pth"
    assert c.lr_end == 1e-5
    args = build_parser().parse_args([
        "pretrain", "--train", "t", "--holdout", "h", "--output", "o.pth", "--epochs", "3",
        "--steps-per-epoch", "7", "--batch-size", "8", "--learning-rate", "0.01", "--gamma", "0.9",
        "--epsilon-start", "0.5", "--epsilon-end", "0.1", "--hidden-dim", "16",
        "--replay-buffer-size", "100", "--shuffle", "--fresh-start", "--seed", "3"])
    c = build_config(args)
    assert (str(c.holdout), str(c.output), c.epochs, c.steps_per_epoch, c.batch_size,
            c.learning_rate, c.gamma, c.epsilon_start, c.epsilon_end, c.hidden_dim,
            c.replay_buffer_size, c.shuffle, c.fresh_start, c.seed) == (
        "h", "o.pth", 3, 7, 8, 0.01, 0.9, 0.5, 0.1, 16, 100, True, True, 3)


def test_cli_usage_errors_exit_2(tmp_path, capsys):
    assert velox(["pretrain", "--train", str(tmp_path / "missing.jsonl")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_evaluation_metric_definitions():
    """A network whose Q-values ignore the state: greedy action = argmax of the last bias."""
    model = QNetwork(STATE_DIM, NUM_ACTIONS, 4)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.net[-1].bias[:] = 0.0
        model.net[-1].bias[3] = 2.0  # Q(s, 3) = 2, every other action 0
    s = np.zeros((4, STATE_DIM), np.float32)
    actions = np.array([3, 5, 3, 7])
    rewards = np.array([1.0, 2.0, -1.0, 0.0], np.float32)
    dones = np.array([True, False, True, False])
    data = pack(s, actions, rewards, s, dones, "cpu")
    ev = evaluate(model, data, STATE_DIM, gamma=0.5)
    # TD targets: r + 0.5 * (1 - done) * max Q(s') = r + 1.0 when not done
    q_sa = np.array([2.0, 0.0, 2.0, 0.0])
    y = rewards + 0.5 * (~dones) * 2.0
    assert ev["td_error"] == pytest.approx(np.abs(q_sa - y).mean())
    # positive-reward transitions: #0 (action 3 = greedy, hit) and #1 (action 5, miss)
    assert ev["action_accuracy"] == pytest.approx(0.5) and ev["positive_transitions"] == 2
    # replay estimate: transitions whose logged action is the greedy one (#0, #2)
    assert ev["mean_reward"] == pytest.approx(0.0) and ev["greedy_matches"] == 2


CRASH_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import torch
    from ml import checkpoint as ckpt

    class Crash:
        # pickled in the middle of the checkpoint: the process dies while writing
        def __reduce__(self):
            os.kill(os.getpid(), signal.SIGKILL)

    payload = {"format": "velox-dqn", "big": torch.zeros(2_000_000), "crash": Crash()}
    ckpt.publish(payload, sys.argv[1])
""")


def test_a_crash_mid_save_leaves_the_published_model_intact(tiny_config, tmp_path):
    result = run_pretrain(tiny_config(fresh_start=True), log=lambda _: None)
    before = result.output.read_bytes()
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(result.output)],
                          capture_output=True, timeout=120)
    assert proc.returncode == -9  # really killed mid-save
    assert result.output.read_bytes() == before
    assert ckpt.load(result.output)["model_version"] == result.model_version


def test_fused_adam_matches_torch_adam():
    from ml.dqn import FusedAdam

    torch.manual_seed(0)
    a = QNetwork(STATE_DIM, NUM_ACTIONS, 16)
    b = QNetwork(STATE_DIM, NUM_ACTIONS, 16)
    b.load_state_dict(a.state_dict())
    ours = FusedAdam(a.parameters(), lr=1e-2)
    ref = torch.optim.Adam(b.parameters(), lr=1e-2)
    x = torch.rand(8, STATE_DIM)
    for lr in (1e-2, 5e-3, 1e-3):
        ours.lr = lr
        for group in ref.param_groups:
            group["lr"] = lr
        for net, opt in ((a, ours), (b, ref)):
            opt.zero_grad()
            net(x).square().mean().backward()
            opt.step()
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.allclose(pa, pb, atol=1e-6)
