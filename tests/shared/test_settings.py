import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.settings import Settings, overrides_without_secrets


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # mlflow.set_tracking_uri exports it
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path / "s"))
    monkeypatch.setenv("MLOPS_SEED", "9")
    settings = Settings()
    assert settings.seed == 9
    assert settings.resolved_tracking_uri == f"sqlite:///{tmp_path / 's' / 'mlflow' / 'mlflow.db'}"
    assert not (tmp_path / "s").exists()  # computing paths creates nothing


def test_mlflow_tracking_uri_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    assert Settings().resolved_tracking_uri == "http://127.0.0.1:5999"


def test_settings_are_frozen_and_strict() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.seed = 3  # type: ignore[misc]
    with pytest.raises(ValidationError, match="rows_per_day"):
        Settings(rows_per_day=0)


def test_overrides_passed_on_to_flows_never_carry_secrets() -> None:
    settings = Settings(seed=5, admin_token="a-1", scoring_token="s-2", labels_token="l-3", github_token="g-4")
    passed = overrides_without_secrets(settings)
    assert passed == {"seed": 5}


def test_a_settings_file_is_read_by_entry_points_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.settings import load_settings
    from shared.settings_report import origin

    # given a .env with three settings, one of which is also in the environment
    file = tmp_path / "team.env"
    file.write_text("MLOPS_TRAIN_DAYS=9\nMLOPS_SEED=8\nMLFLOW_TRACKING_URI=http://127.0.0.1:5999\n")
    for key in ("MLOPS_TRAIN_DAYS", "MLFLOW_TRACKING_URI", "MLOPS_TRACKING_URI"):
        monkeypatch.delenv(key, raising=False)  # what the file adds ends with the test (tests/conftest.py)
    monkeypatch.setenv("MLOPS_SEED", "7")
    monkeypatch.setenv("MLOPS_ENV_FILE", str(file))
    environment = set(os.environ)
    # when an entry point loads its settings
    settings = load_settings()
    # then the file's values are in force, the environment's win, and each says where it came from
    assert (settings.train_days, settings.seed, settings.tracking_uri) == (9, 7, "http://127.0.0.1:5999")
    from_file = {"MLOPS_TRAIN_DAYS": "9", "MLFLOW_TRACKING_URI": "http://127.0.0.1:5999"}
    assert origin("train_days", environment, from_file) == "settings file (MLOPS_TRAIN_DAYS)"
    assert origin("seed", environment, from_file) == "environment (MLOPS_SEED)"
    assert origin("tracking_uri", environment, from_file) == "settings file (MLFLOW_TRACKING_URI)"
    assert origin("rows_per_day", environment, from_file) == "default"


def test_one_project_name_names_the_model_and_experiments_unless_they_are_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.settings_report import report

    for key in ("MLOPS_MODEL_NAME", "MLOPS_EXPERIMENT_NAME"):
        monkeypatch.delenv(key, raising=False)
    # given a fork's project name in the environment, and a model name set in one case
    monkeypatch.setenv("MLOPS_PROJECT_NAME", "lead-scoring")
    named, own_model = Settings(), Settings(model_name="scorer")
    # then the names follow the project unless set themselves, and flows are passed only what was set
    assert (named.model_name, named.experiment_name) == ("lead-scoring-model", "lead-scoring-training")
    assert (own_model.model_name, own_model.experiment_name) == ("scorer", "lead-scoring-training")
    assert overrides_without_secrets(named) == {"project_name": "lead-scoring"}
    # and `make settings` says where the derived names came from
    shown = {line.split()[0]: line for line in report(named, set(os.environ), {})}
    assert shown["model_name"].endswith("lead-scoring-model  [from project_name]")
    assert shown["project_name"].endswith("[environment (MLOPS_PROJECT_NAME)]")
    with pytest.raises(ValidationError, match="project_name"):
        Settings(project_name="Lead Scoring")
