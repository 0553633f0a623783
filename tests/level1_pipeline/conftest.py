"""Level 1 fixtures: a real SQLite MLflow per test; flows run on the session's real Prefect API.

Only tests that run flows ask for the Prefect API (through ``train``): pure unit tests of gates,
policies and steps do not wait for it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mlflow
import pytest
import yaml

from shared.settings import Settings
from shared.tracking import use_tracking_uri
from tests.conftest import SMALL

WEAK_BUT_ABOVE_FLOOR = {"max_iter": 20, "max_depth": 1}  # ROC AUC ~0.77 on this data, floor 0.75


@pytest.fixture
def overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, a_fresh_state: Callable[[Path], Path]
) -> Iterator[dict[str, Any]]:
    """Settings for a private state folder (its own MLflow SQLite store) and small data."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLOPS_TRACKING_URI", raising=False)
    yield {"state_dir": str(a_fresh_state(tmp_path / "state")), **SMALL}
    mlflow.set_tracking_uri(None)  # type: ignore[arg-type]


@pytest.fixture
def train(overrides: dict[str, Any], prefect_api: None) -> Callable[..., Any]:
    """Run the real training flow with the test's settings plus extra overrides."""
    from level1_pipeline.flow import training_flow

    def run(params: dict[str, Any] | None = None, last_day: int | None = None, **extra: Any) -> Any:
        return training_flow(last_day=last_day, params=params, settings_overrides={**overrides, **extra})

    return run


@pytest.fixture(scope="session")
def _first_runs() -> dict[str, Path]:
    """State folders left by a first training run, by its parameters (filled by ``given_a_champion``)."""
    return {}


@pytest.fixture
def given_a_champion(
    overrides: dict[str, Any],
    prefect_api: None,
    _first_runs: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    a_fresh_state: Callable[[Path], Path],
) -> Callable[[dict[str, Any] | None], None]:
    """Put the test's state where a first training run with ``params`` leaves it: version 1, champion.

    The real flow runs once per test process and parameters; each test gets a copy (tests move aliases and add
    versions). The copy's records point at the first folder's artifacts, where its new runs write too (unique run
    ids). The test's process is pointed at the copy, as its own first run would have left it. A deliberately weak
    champion is the premise of some tests: its first run is not judged against the simpler baseline, which would
    refuse it on data a linear model fits well (a fork's schema-made data does); later runs are.
    """
    from level1_pipeline.flow import training_flow

    def given(params: dict[str, Any] | None = None) -> None:
        key = repr(sorted((params or {}).items()))
        if key not in _first_runs:
            folder = a_fresh_state(tmp_path_factory.mktemp("first-run") / "state")
            policy = folder.parent / "premise-policy.yaml"
            policy.write_text(yaml.safe_dump({"version": 1, "model_gate": {"max_auc_drop_vs_baseline": 1.0}}))
            premise = {"state_dir": str(folder), "training_policy_file": str(policy)}
            first = training_flow(params=params, settings_overrides={**overrides, **premise})
            assert (first.version, first.promoted) == ("1", True)
            _first_runs[key] = folder
        state = Path(overrides["state_dir"])
        shutil.copytree(_first_runs[key], state, dirs_exist_ok=True)
        use_tracking_uri(Settings(state_dir=state, tracking_uri=None).resolved_tracking_uri)

    return given
