from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from api.cli import main as velox
from core.actions import ACTION_INDEX, NUM_ACTIONS
from ml.generator import (
    _episode_lengths,
    best_actions,
    generate_dataset,
    generate_synthetic,
    load_legacy_episodes,
)
from ml.state import FEATURE_INDEX, FINDINGS_OFFSET, STATE_DIM
from ml.transitions import read_jsonl

C = FEATURE_INDEX["complexity"]


def _episodes(t):
    ends = np.flatnonzero(t.dones)
    starts = np.concatenate([[0], ends[:-1] + 1])
    return list(zip(starts, ends + 1, strict=True))


def test_episodes_are_3_to_8_steps_with_done_only_last():
    t = generate_synthetic(5000, seed=3)
    assert len(t) == 5000
    eps = _episodes(t)
    assert eps[-1][1] == len(t)
    lengths = [b - a for a, b in eps]
    assert min(lengths) >= 3 and max(lengths) <= 8
    for a, b in eps:
        # consecutive steps chain: next_state of step i is state of step i+1
        assert np.allclose(t.next_states[a:b - 1], t.states[a + 1:b])
        assert not t.dones[a:b - 1].any() and t.dones[b - 1]


def test_initial_complexity_falls_and_issues_decay():
    t = generate_synthetic(4000, seed=5)
    starts = [a for a, _ in _episodes(t)]
    c0 = t.states[starts, C]
    assert c0.min() >= 0.5 and c0.max() <= 0.95
    assert (t.next_states[:, C] <= t.states[:, C] + 1e-6).all()
    findings = t.states[:, FINDINGS_OFFSET:].sum(1)
    next_findings = t.next_states[:, FINDINGS_OFFSET:].sum(1)
    assert (next_findings <= findings + 1e-6).all()
    assert (next_findings < findings - 1e-6).mean() > 0.3  # most fitting actions fix issues
    assert ((t.states >= 0) & (t.states <= 1)).all()


def test_rewards_depend_on_whether_the_action_fits():
    t = generate_synthetic(8000, seed=11)
    col = np.array([ACTION_INDEX[a] for a in ACTION_INDEX if a != "no_change"])
    fits = np.zeros(len(t), bool)
    for j, a in enumerate(col):
        sel = t.actions == a
        fits[sel] = t.states[sel, FINDINGS_OFFSET + j] > 0
    nochange = t.actions == ACTION_INDEX["no_change"]
    assert t.rewards[fits].mean() > 3.0
    assert t.rewards[~fits & ~nochange].max() < 0
    assert (t.rewards[nochange] == 0).all()
    # the logged action is the best one most of the time, and the best one always fits
    best = best_actions(t.states)
    assert 0.55 < (best == t.actions).mean() < 0.8
    has_findings = t.states[:, FINDINGS_OFFSET:].max(1) > 0
    assert (best[~has_findings] == ACTION_INDEX["no_change"]).all()


def test_objective_weights_change_the_best_action():
    t = generate_synthetic(3000, seed=2)
    runtime = best_actions(t.states, {"runtime": 1, "memory": 0})
    memory = best_actions(t.states, {"runtime": 0, "memory": 1})
    assert (runtime != memory).mean() > 0.2
    assert (memory == ACTION_INDEX["io_streaming"]).sum() > (runtime == ACTION_INDEX["io_streaming"]).sum()


@pytest.mark.parametrize("n", [1, 2, 3, 4, 9, 10, 11, 17, 1000])
def test_episode_lengths_sum_exactly(n):
    lengths = _episode_lengths(np.random.default_rng(n), n)
    assert lengths.sum() == n
    if n >= 3:
        assert lengths.min() >= 3 and lengths.max() <= 8


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, ml_settings):
    paths = [tmp_path / f"{i}.jsonl" for i in range(3)]
    for p, seed in zip(paths, (1, 1, 2), strict=True):
        generate_dataset(p, synthetic_samples=700, seed=seed, settings=ml_settings)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_output_is_the_guides_jsonl(tmp_path, ml_settings):
    out = tmp_path / "sub" / "out.jsonl"
    summary = generate_dataset(out, synthetic_samples=300, settings=ml_settings)
    lines = out.read_text().splitlines()
    assert len(lines) == summary.total == 300
    first = json.loads(lines[0])
    assert list(first) == ["state", "action_idx", "reward", "next_state", "done"]
    assert len(first["state"]) == STATE_DIM and 0 <= first["action_idx"] < NUM_ACTIONS
    assert sum('"done": true' in ln for ln in lines) + sum('"done": false' in ln for ln in lines) == 300
    assert not list(out.parent.glob(".*.tmp"))  # the temporary file was renamed away


def _legacy_transition(action, reward=1.0):
    # legacy files name the action (or give its index) and may leave "done" out
    return {"state": [0.5] * STATE_DIM, "action": action, "reward": reward,
            "next_state": [0.4] * STATE_DIM}


def test_legacy_files_are_included(tmp_path, ml_settings):
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "a.json").write_text(json.dumps([_legacy_transition("caching_strategy")] * 2))
    (legacy / "b.json").write_text(json.dumps({"episodes": [{"steps": [
        _legacy_transition(3), _legacy_transition("no_change")]}]}))
    (legacy / "old.json").write_text(json.dumps([{"state": [0.1] * 10, "action_idx": 1,
                                                  "reward": 1, "next_state": [0.1] * 10}]))
    (legacy / "broken.json").write_text("{not json")
    records, skipped = load_legacy_episodes(legacy)
    assert len(records) == 4 and skipped == 1
    assert [r["done"] for r in records[2:]] == [False, True]
    out = tmp_path / "out.jsonl"
    summary = generate_dataset(out, synthetic_samples=50, input_dir=legacy, settings=ml_settings)
    assert summary.legacy_transitions == 4 and summary.total == 54
    assert summary.lines()[0] == "Generated 4 transitions from legacy episodes"
    t = read_jsonl(out)
    assert t.actions[0] == ACTION_INDEX["caching_strategy"] and t.actions[3] == ACTION_INDEX["no_change"]


def test_real_transitions_from_db_and_feedback_without_duplicates(tmp_path, ml_settings):
    from ml.feedback import record_transition

    s = [0.2] * STATE_DIM
    record_transition(s, "loop_optimization", 3.0, s, settings=ml_settings)  # file + db
    record_transition(s, "vectorization", 5.0, s, settings=ml_settings, write_db=False)
    summary = generate_dataset(tmp_path / "o.jsonl", synthetic_samples=10, settings=ml_settings)
    assert (summary.real_from_db, summary.real_from_feedback, summary.real_transitions) == (1, 1, 2)
    assert summary.total == 12


def test_generation_does_not_create_a_missing_sqlite_database(tmp_path, configure_settings):
    settings = configure_settings()
    db = Path(settings.database_url.removeprefix("sqlite:///"))
    assert not db.exists()
    generate_dataset(tmp_path / "o.jsonl", synthetic_samples=5, settings=settings)
    assert not db.exists()


def test_cli_prints_the_guides_lines(tmp_path, ml_settings, capsys):
    out = tmp_path / "t.jsonl"
    rc = velox(["generate-data", "--output-jsonl", str(out), "--synthetic-samples", "120",
                "--seed", "4", "--objective-runtime-weight", "0.7",
                "--objective-memory-weight", "0.3"])
    printed = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert "Generated 120 synthetic multi-step transitions" in printed
    assert "Total transitions: 120" in printed and f"Wrote to: {out}" in printed
    assert len(out.read_text().splitlines()) == 120


@pytest.mark.parametrize("args, message", [
    (["--synthetic-samples", "-1"], "--synthetic-samples"),
    (["--objective-runtime-weight", "1.5"], "between 0 and 1"),
    (["--objective-runtime-weight", "0", "--objective-memory-weight", "0"], "both be 0"),
    (["--reward-scale", "0"], "--reward-scale"),
])
def test_cli_bad_input_exits_2(tmp_path, ml_settings, capsys, args, message):
    rc = velox(["generate-data", "--output-jsonl", str(tmp_path / "x.jsonl"), *args])
    assert rc == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists()


def test_cli_no_transitions_exits_1(tmp_path, ml_settings, capsys):
    rc = velox(["generate-data", "--output-jsonl", str(tmp_path / "x.jsonl"),
                "--synthetic-samples", "0", "--input-dir", str(tmp_path / "none")])
    assert rc == 1
    assert "No transitions generated" in capsys.readouterr().err
