from __future__ import annotations

import os

import pytest

from api.cli import main as velox
from core.actions import PRODUCTION_ACTION_TYPES
from core.analysis.model import FileAnalysis, Finding
from ml import checkpoint as ckpt
from ml.feedback_training import SHADOW_HOLDOUT
from ml.policy import HEURISTIC_VERSION, PolicyError, PolicyManager, heuristic_ranking
from ml.pretrain import run_pretrain
from ml.rl_optimizer import get_rl_optimizer
from ml.state import FINDING_ACTIONS, FINDINGS_OFFSET, STATE_DIM
from ml.transitions import format_lines


def _state(**findings: float) -> list[float]:
    s = [0.0] * STATE_DIM
    s[0] = 0.8
    for action, v in findings.items():
        s[FINDINGS_OFFSET + FINDING_ACTIONS.index(action)] = v
    return s


def test_heuristic_ranking_without_a_checkpoint(tmp_path):
    manager = PolicyManager(tmp_path)
    ranking = manager.rank(_state(caching_strategy=1 / 3, algorithm_change=1.0))
    assert ranking.model_version == HEURISTIC_VERSION and ranking.source == "heuristic"
    assert ranking.actions[:3] == ["algorithm_change", "caching_strategy", "no_change"]
    assert sorted(ranking.actions) == sorted(PRODUCTION_ACTION_TYPES)
    assert manager.rank_actions(_state())[0] == "no_change"
    with pytest.raises(ValueError, match="expected"):
        manager.rank_actions([0.0])


def _publish(config_factory, path, **overrides):
    result = run_pretrain(config_factory(fresh_start=True, output=path, **overrides),
                          log=lambda _: None)
    return result


def test_model_ranking_and_reload_without_restart(tiny_config, tmp_path):
    models = tmp_path / "models"
    manager = PolicyManager(models)
    first = _publish(tiny_config, models / ckpt.ACTIVE_NAME)
    ranking = manager.rank(_state(vectorization=1.0))
    assert ranking.source == "model" and ranking.model_version == first.model_version
    assert sorted(ranking.actions) == sorted(PRODUCTION_ACTION_TYPES)
    assert ranking.scores == sorted(ranking.scores, reverse=True)
    second = _publish(tiny_config, models / ckpt.ACTIVE_NAME, seed=3)
    assert manager.model_version("active") == second.model_version != first.model_version
    os.unlink(models / ckpt.ACTIVE_NAME)
    assert manager.rank(_state()).model_version == HEURISTIC_VERSION


def test_incompatible_checkpoint_falls_back_to_heuristic_and_says_why(tiny_config, tmp_path):
    result = _publish(tiny_config, tmp_path / "m" / ckpt.ACTIVE_NAME)
    payload = ckpt.load(result.output)
    payload["action_types"] = PRODUCTION_ACTION_TYPES + ["custom_ml_optimization"]
    ckpt.publish(payload, result.output)
    manager = PolicyManager(tmp_path / "m")
    assert manager.rank(_state()).source == "heuristic"
    assert "action types" in manager.status()["active"]["error"]


def _write_holdout(models, data):
    (models / SHADOW_HOLDOUT).write_bytes(format_lines(data))


def test_promotion_through_the_gate(tiny_config, tmp_path, small_data, configure_settings):
    settings = configure_settings(MODEL_CHECKPOINT_PATH=str(tmp_path / "models"))
    models = settings.model_dir
    manager = PolicyManager(settings=settings)
    with pytest.raises(PolicyError, match="no shadow policy"):
        manager.promote_shadow_to_active()
    weak = _publish(tiny_config, models / ckpt.ACTIVE_NAME, hidden_dim=8, epochs=1, steps_per_epoch=1)
    strong = _publish(tiny_config, models / ckpt.SHADOW_NAME, epochs=3, steps_per_epoch=200, hidden_dim=64)
    _write_holdout(models, small_data[1])
    result = manager.promote_shadow_to_active()
    assert result["promoted"] and result["evaluation"]["gate_passed"]
    assert result["evaluation"]["evaluated_on"].endswith(SHADOW_HOLDOUT)
    assert manager.model_version("active") == strong.model_version
    assert result["previous_active_version"] == weak.model_version
    # now the shadow is worse than the active one: rejected, active unchanged
    _publish(tiny_config, models / ckpt.SHADOW_NAME, hidden_dim=8, epochs=1, steps_per_epoch=1)
    rejected = manager.promote_shadow_to_active()
    assert not rejected["promoted"] and not rejected["evaluation"]["gate_passed"]
    assert manager.model_version("active") == strong.model_version
    # forced: promoted whatever the gate says, through the guide's Python call
    forced = get_rl_optimizer(settings).policy_manager.promote_shadow_to_active(force=True)
    assert forced["promoted"] and forced["forced"]
    assert manager.model_version("active") == manager.model_version("shadow")


def test_promotion_without_evaluation_data_needs_force(tiny_config, tmp_path, configure_settings):
    settings = configure_settings(MODEL_CHECKPOINT_PATH=str(tmp_path / "models"))
    _publish(tiny_config, settings.model_dir / ckpt.SHADOW_NAME)
    with pytest.raises(PolicyError, match="--force"):
        PolicyManager(settings=settings).promote_shadow_to_active()


def test_cli_policy_promote_and_status(tiny_config, tmp_path, small_data, configure_settings, capsys):
    settings = configure_settings(MODEL_CHECKPOINT_PATH=str(tmp_path / "models"))
    assert velox(["policy", "promote"]) == 2
    assert "no shadow policy" in capsys.readouterr().err
    _publish(tiny_config, settings.model_dir / ckpt.ACTIVE_NAME, epochs=3, steps_per_epoch=200, hidden_dim=64)
    shadow = _publish(tiny_config, settings.model_dir / ckpt.SHADOW_NAME, hidden_dim=8,
                      epochs=1, steps_per_epoch=1)
    _write_holdout(settings.model_dir, small_data[1])
    assert velox(["policy", "promote"]) == 1
    assert "Evaluation gate rejected the shadow policy" in capsys.readouterr().out
    assert velox(["policy", "promote", "--force"]) == 0
    assert f"promoted to active: {shadow.model_version}" in capsys.readouterr().out
    assert velox(["policy", "status"]) == 0
    out = capsys.readouterr().out
    assert f"active: {shadow.model_version}" in out and f"shadow: {shadow.model_version}" in out


def test_rl_optimizer_ranks_an_analysis(tmp_path, configure_settings):
    settings = configure_settings(MODEL_CHECKPOINT_PATH=str(tmp_path / "empty"))
    analysis = FileAnalysis("x.py", complexity_score=70, findings=[
        Finding("VX1", "string_building", "medium", "m", 1, 0, 1, 1)])
    ranking = get_rl_optimizer(settings).rank_for_analysis(analysis)
    assert ranking.actions[0] == "string_building" and ranking.model_version == HEURISTIC_VERSION
    assert heuristic_ranking(_state()).actions[0] == "no_change"
