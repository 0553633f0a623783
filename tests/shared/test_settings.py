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
