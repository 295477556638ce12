from __future__ import annotations

import json

import numpy as np
import pytest

from ml.generator import generate_synthetic
from ml.state import STATE_DIM
from ml.transitions import TransitionFormatError, format_lines, read_jsonl


def test_round_trip_keeps_values_to_four_decimals(tmp_path):
    t = generate_synthetic(200, seed=1)
    p = tmp_path / "t.jsonl"
    p.write_bytes(format_lines(t))
    back = read_jsonl(p)
    assert np.allclose(back.states, t.states, atol=6e-5)
    assert (back.actions == t.actions).all() and (back.dones == t.dones).all()
    assert np.allclose(back.rewards, t.rewards, atol=6e-5)
    # json.dumps-compatible spacing, readable by the standard library
    line = p.read_text().splitlines()[0]
    assert json.loads(line)["state"] == [round(x, 4) for x in json.loads(line)["state"]]
    assert ', "done": ' in line


def test_blank_lines_ignored_and_feedback_keys_accepted(tmp_path):
    rec = {"state": [0.1] * STATE_DIM, "action_idx": 2, "reward": 8.5,
           "next_state": [0.2] * STATE_DIM, "done": True, "source": "shadow_feedback",
           "timestamp": "2026-02-19T20:30:15.123Z"}
    p = tmp_path / "f.jsonl"
    p.write_text(json.dumps(rec) + "\n\n" + json.dumps(rec) + "\n")
    assert len(read_jsonl(p)) == 2


@pytest.mark.parametrize("line, message", [
    ('{"state": [1, 2]}', "missing 'action_idx'"),
    ("not json", "line 2: invalid JSON"),
    ('{"state": [0.1], "action_idx": 1, "reward": 1, "next_state": [0.1]}', "another state layout"),
    ('{"state": S, "action_idx": 99, "reward": 1, "next_state": S}', "action_idx 99"),
])
def test_bad_lines_are_named(tmp_path, line, message):
    good = json.dumps({"state": [0.0] * STATE_DIM, "action_idx": 0, "reward": 0,
                       "next_state": [0.0] * STATE_DIM})
    p = tmp_path / "bad.jsonl"
    p.write_text(good + "\n" + line.replace("S", json.dumps([0.0] * STATE_DIM)) + "\n")
    with pytest.raises(TransitionFormatError, match=message):
        read_jsonl(p)


def test_a_killed_writer_s_old_temp_file_is_cleared_by_the_next_write(tmp_path):
    import os
    import time

    from ml.transitions import STALE_TEMP_SECONDS, atomic_writer

    target = tmp_path / "dqn_model.pth"
    stale = tmp_path / ".dqn_model.pth.abc123.tmp"  # a worker SIGKILLed while publishing
    fresh = tmp_path / ".dqn_model.pth.def456.tmp"  # another process writing right now
    other = tmp_path / ".other.pth.old.tmp"
    for f in (stale, fresh, other):
        f.write_bytes(b"half")
    old = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    with atomic_writer(target) as fh:
        fh.write(b"model")
    assert target.read_bytes() == b"model"
    assert not stale.exists()
    assert fresh.exists() and other.exists()  # too young / not this file's
