import os
from datetime import date
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
    assert passed["seed"] == 5
    assert not {"admin_token", "scoring_token", "labels_token", "github_token"} & set(passed)
    assert not {"a-1", "s-2", "l-3", "g-4"} & {str(value) for value in passed.values()}


def test_a_settings_file_is_read_by_entry_points_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.settings import load_settings
    from shared.settings_layers import origin

    # given a .env with three settings, one of which is also in the environment
    file = tmp_path / "team.env"
    file.write_text("MLOPS_TRAIN_DAYS=9\nMLOPS_SEED=8\nMLFLOW_TRACKING_URI=http://127.0.0.1:5999\n")
    monkeypatch.setenv("MLOPS_SEED", "7")
    monkeypatch.setenv("MLOPS_ENV_FILE", str(file))
    environment = set(os.environ)
    # when an entry point loads its settings
    settings = load_settings()
    # then the file's values are in force, the environment's win, and each says where it came from
    assert (settings.train_days, settings.seed, settings.tracking_uri) == (9, 7, "http://127.0.0.1:5999")
    from_file = {"MLOPS_TRAIN_DAYS": "9", "MLFLOW_TRACKING_URI": "http://127.0.0.1:5999"}
    fields = Settings.model_fields
    assert origin("train_days", fields, environment, from_file) == f"{file} (MLOPS_TRAIN_DAYS)"
    assert origin("seed", fields, environment, from_file) == "environment (MLOPS_SEED)"
    assert origin("tracking_uri", fields, environment, from_file) == f"{file} (MLFLOW_TRACKING_URI)"
    assert origin("rows_per_day", fields, environment, from_file) == "default"


def test_the_projects_committed_settings_sit_below_env_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.settings import load_settings
    from shared.settings_layers import origin

    # given the project's settings file, a machine's .env and the environment, each setting some of the same keys
    project = tmp_path / "settings.yaml"
    project.write_text("project_name: lead-scoring\ntrain_days: 14\nseed: 3\nlabel_delay_days: 5\n")
    machine = tmp_path / ".env"
    machine.write_text("MLOPS_TRAIN_DAYS=9\nMLOPS_SEED=8\n")
    monkeypatch.setenv("MLOPS_SETTINGS_FILE", str(project))
    monkeypatch.setenv("MLOPS_ENV_FILE", str(machine))
    monkeypatch.setenv("MLOPS_SEED", "7")
    environment = set(os.environ)
    # when an entry point loads its settings
    settings = load_settings()
    # then each value comes from the latest layer that has it, and `make settings` names that layer
    assert (settings.project_name, settings.model_name) == ("lead-scoring", "lead-scoring-model")
    assert (settings.label_delay_days, settings.train_days, settings.seed) == (5, 9, 7)
    assert origin("label_delay_days", Settings.model_fields, environment, {}) == str(project)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("project_nme: x\n", "project_nme: not a setting"),
        ("scoring_token: abc\n", "scoring_token: a secret never goes in a committed file"),
        ("- a list\n", "must map setting names to values"),
    ],
)
def test_a_wrong_key_in_the_projects_settings_file_is_named(
    text: str, named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.settings import SettingsError, load_settings

    project = tmp_path / "settings.yaml"
    project.write_text(text)
    monkeypatch.setenv("MLOPS_SETTINGS_FILE", str(project))
    with pytest.raises(SettingsError, match=f"{project}: {named}"):
        load_settings()


def test_a_value_that_breaks_a_rule_is_named_with_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.settings import SettingsError, load_settings

    project = tmp_path / "settings.yaml"
    project.write_text("rows_per_day: 0\n")
    monkeypatch.setenv("MLOPS_SETTINGS_FILE", str(project))
    with pytest.raises(SettingsError, match=f"{project}: rows_per_day: Input should be greater than 0"):
        load_settings()


def test_one_project_name_names_the_model_and_experiments_unless_they_are_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.settings_report import report

    # given a fork's project name in the environment, and a model name set in one case
    monkeypatch.setenv("MLOPS_PROJECT_NAME", "lead-scoring")
    named, own_model = Settings(), Settings(model_name="scorer")
    # then the names follow the project unless set themselves, and flows are passed only what was set
    assert (named.model_name, named.experiment_name) == ("lead-scoring-model", "lead-scoring-training")
    assert (own_model.model_name, own_model.experiment_name) == ("scorer", "lead-scoring-training")
    assert overrides_without_secrets(named)["project_name"] == "lead-scoring"
    assert not {"model_name", "experiment_name"} & set(overrides_without_secrets(named))
    # and `make settings` says where the derived names came from
    shown = {line.split()[0]: line for line in report(named, set(os.environ), {})}
    assert shown["model_name"].endswith("lead-scoring-model  [from project_name]")
    assert shown["project_name"].endswith("[environment (MLOPS_PROJECT_NAME)]")
    with pytest.raises(ValidationError, match="project_name"):
        Settings(project_name="Lead Scoring")


def test_promoters_lock_beside_the_registry_on_embedded_defaults_else_in_the_shared_database(tmp_path: Path) -> None:
    embedded = Settings(state_dir=tmp_path / "state")
    assert embedded.promotion_lock_url == f"sqlite:///{tmp_path / 'state' / 'mlflow' / 'locks.db'}"
    assert "level2" not in embedded.promotion_lock_url  # a first `make level1` makes nothing of level 2's
    served = Settings(tracking_uri="http://127.0.0.1:5000", prediction_store_url="postgresql+psycopg://db/log")
    assert served.promotion_lock_url == "postgresql+psycopg://db/log"


def test_settings_cross_to_a_child_process_whole_and_read_back_equal(tmp_path: Path) -> None:
    import subprocess
    import sys

    from shared.settings_environment import as_environment
    from tests.conftest import environment_without

    # given settings set in several ways (a path, a date, a secret, a derived name left derived)
    mine = Settings(state_dir=tmp_path, last_day=date(2024, 6, 9), scoring_token="s-1", project_name="lead-scoring")
    # when a child process reads its settings from the environment they become
    script = "from shared.settings import Settings; s = Settings(); print(s.scoring_token.get_secret_value())"
    script += "; print(s.model_dump_json(exclude={'scoring_token'}))"
    env = environment_without("MLOPS_") | as_environment(mine)  # the suite's world (no settings files) besides
    child = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    token, dumped = child.stdout.splitlines()
    # then the child's settings are these, the secret too
    assert token == "s-1"
    assert Settings.model_validate_json(dumped) == mine.model_copy(update={"scoring_token": None})
    assert Settings.model_validate_json(dumped).model_name == "lead-scoring-model"


def test_a_few_settings_for_a_child_process_are_checked_by_name_and_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.settings_environment import environment_for
    from shared.settings_layers import SettingsError

    # given a misspelt setting and a value that breaks its rule, when they are made into variables for a child
    with pytest.raises(SettingsError) as refused:
        environment_for(data_sorce="files", model_poll_seconds=-1)
    # then both are named, the value with its rule, and nothing is made
    assert "data_sorce: not a setting" in str(refused.value)
    assert "model_poll_seconds=-1: Input should be greater than 0" in str(refused.value)
    # and valid ones become variables the child's settings read back
    for name, value in environment_for(state_dir=Path("/srv/x"), tracking_uri="http://127.0.0.1:5000").items():
        monkeypatch.setenv(name, value)
    child = Settings()
    assert (child.state_dir, child.tracking_uri) == (Path("/srv/x"), "http://127.0.0.1:5000")


def test_make_settings_lists_every_setting_once_under_its_concern() -> None:
    from shared.settings_report import CONCERN_STARTS, report

    # when `make settings` reports the defaults
    lines = report(Settings(), set(), {})
    # then it opens with a concern, names each concern once in the class's order, and every setting once under one
    assert lines[0].startswith("-- ")
    assert [line.removeprefix("-- ") for line in lines if line.startswith("-- ")] == list(CONCERN_STARTS.values())
    assert [line.split()[0] for line in lines if not line.startswith("-- ")] == list(Settings.model_fields)
