"""Level 1 fixtures: a real SQLite MLflow per test; flows run on the session's real Prefect API.

Only tests that run flows ask for the Prefect API (through ``train``): pure unit tests of gates,
policies and steps do not wait for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mlflow
import pytest

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
