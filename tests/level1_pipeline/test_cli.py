"""`make level1`'s command: its errors. The command itself runs in the workshop guide walk
(tests/workshop/test_guide.py) and in the fork test."""

from __future__ import annotations

from pathlib import Path

import pytest

from level1_pipeline.cli import main, parse_param_overrides
from shared.processes import free_port

pytestmark = pytest.mark.slow  # runs processes or servers of its own (make test-fast skips it)


@pytest.fixture(autouse=True)
def own_prefect_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """In-process CLI calls set process defaults; keep them from leaking into other tests."""
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))


def test_unreachable_tracking_server_fails_fast_naming_the_uri(monkeypatch, tmp_path: Path, capsys) -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path))
    assert main(["run"]) == 2
    assert f"MLflow tracking server at {uri} is unreachable" in capsys.readouterr().err


def test_unknown_hyperparameter_is_refused_with_the_known_ones(capsys) -> None:
    assert main(["run", "--param", "depth=3"]) == 2
    assert "unknown hyperparameter(s) depth" in capsys.readouterr().err


def test_rollback_with_nothing_to_roll_back_to_says_so_without_a_traceback(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path))
    assert main(["rollback"]) == 2
    err = capsys.readouterr().err
    assert "nothing to roll back to: 'churn-model' has no 'previous' version" in err
    assert "Traceback" not in err


def test_a_setting_that_breaks_a_rule_is_the_error_shown(monkeypatch, tmp_path: Path, capsys) -> None:
    # given the project's settings file with a value no setting accepts
    project = tmp_path / "settings.yaml"
    project.write_text("train_days: 1\n")
    monkeypatch.setenv("MLOPS_SETTINGS_FILE", str(project))
    # then the command stops naming the file, the setting and the rule (not an error of its own error handling)
    assert main(["run"]) == 2
    assert f"{project}: train_days: Input should be greater than 2" in capsys.readouterr().err


def test_param_overrides_are_typed_and_validated() -> None:
    assert parse_param_overrides(["max_depth=3", "learning_rate=0.2"]) == {"max_depth": 3, "learning_rate": 0.2}


def test_bad_param_values_are_refused() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        parse_param_overrides(["max_depth=zero"])
    with pytest.raises(ValueError, match="NAME=VALUE"):
        parse_param_overrides(["max_depth"])
