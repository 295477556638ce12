"""Fixtures for the learning tests: small generated datasets and tiny training configs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.settings import Settings
from ml.generator import generate_synthetic
from ml.pretrain import PretrainConfig
from ml.transitions import TransitionArrays, format_lines


@pytest.fixture(scope="session")
def small_data() -> tuple[TransitionArrays, TransitionArrays]:
    """(train 2400, holdout 600) synthetic transitions, generated once per session."""
    data = generate_synthetic(3000, seed=7)
    return data.take(slice(0, 2400)), data.take(slice(2400, None))


@pytest.fixture
def small_files(tmp_path: Path, small_data) -> tuple[Path, Path]:
    train, holdout = small_data
    tp, hp = tmp_path / "train.jsonl", tmp_path / "holdout.jsonl"
    tp.write_bytes(format_lines(train))
    hp.write_bytes(format_lines(holdout))
    return tp, hp


@pytest.fixture
def tiny_config(small_files, tmp_path: Path) -> Callable[..., PretrainConfig]:
    """``make(**overrides)``: a config that trains in well under a second."""
    train, holdout = small_files

    def make(**overrides: object) -> PretrainConfig:
        base: dict[str, object] = dict(
            train=train, holdout=holdout, output=tmp_path / "models" / "dqn_model.pth",
            epochs=2, steps_per_epoch=40, batch_size=32, hidden_dim=32,
            replay_buffer_size=2000, shuffle=True, device="cpu",
        )
        base.update(overrides)
        return PretrainConfig(**base)  # type: ignore[arg-type]

    return make


@pytest.fixture
def ml_settings(sqlite_settings: Settings) -> Settings:
    """Embedded settings on a migrated SQLite file, data and models under tmp_path."""
    return sqlite_settings
