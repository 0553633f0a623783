"""The project's own files (config/): each loads with its rules, so a fork's edit that breaks one fails here, naming
the file. Their values are the project's: no other generic test reads them (tests/conftest.py)."""

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel

from level1_pipeline.model_card import load_card_text
from level1_pipeline.policy import TrainingPolicy, load_training_policy
from level1_pipeline.sweep_space import load_sweep_space
from level2_cicd.monitoring.policy import MonitoringPolicy, load_monitoring_policy
from level2_cicd.service.data_policy import DataPolicy, load_data_policy
from shared.release_policy import LiveTestPolicy, load_release_policy
from shared.schema import read_declaration
from shared.settings import Settings
from shared.settings_layers import PROJECT_ROOT, read_settings_file

CONFIG = PROJECT_ROOT / "config"
POLICIES: dict[str, tuple[Callable[[Path], BaseModel], type[BaseModel]]] = {
    "training_policy.yaml": (load_training_policy, TrainingPolicy),
    "monitoring_policy.yaml": (load_monitoring_policy, MonitoringPolicy),
    "release_policy.yaml": (load_release_policy, LiveTestPolicy),
    "data_policy.yaml": (load_data_policy, DataPolicy),
}
OTHERS: dict[str, Callable[[Path], object]] = {
    "schema.yaml": read_declaration,
    "model_card.yaml": load_card_text,
    "sweep_space.yaml": load_sweep_space,
    "settings.yaml": lambda path: Settings(**read_settings_file(path, Settings.model_fields)),  # type: ignore[arg-type]
}


def test_every_file_of_the_project_has_its_reader() -> None:
    assert {p.name for p in CONFIG.glob("*.yaml")} == set(POLICIES) | set(OTHERS)


@pytest.mark.parametrize("name", sorted(set(POLICIES) | set(OTHERS)))
def test_the_projects_file_loads_with_its_rules(name: str) -> None:
    read = POLICIES[name][0] if name in POLICIES else OTHERS[name]
    read(CONFIG / name)


@pytest.mark.churn
@pytest.mark.parametrize("name", sorted(POLICIES))
def test_the_templates_policies_are_the_codes_defaults(name: str) -> None:
    # the suite runs under the defaults (tests/policies/): they must be what the template ships
    read, model = POLICIES[name]
    assert read(CONFIG / name) == model()
