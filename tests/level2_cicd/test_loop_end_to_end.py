"""Level 2 end to end: service process, replayed traffic with delayed labels, monitor, retraining.

The main story (quiet, decay once labels arrive, one retraining, the service switches) is walked
with the real `make level2` in tests/workshop/test_guide.py, and a retraining that loses (the champion keeps
serving) with the guide's covariate variation; this is the ending no guide step shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
import pytest

from level2_cicd.loop import run_loop
from level2_cicd.timeline import DayRecord
from shared.settings import Settings

pytestmark = pytest.mark.churn  # the churn world itself; a fork with another schema deselects it

FIRST_DAY, ONSET = 20, 22
DELAY = 3


def live(tmp_path: Path, scenario: str, days: int) -> list[DayRecord]:
    overrides: dict[str, Any] = {
        "state_dir": str(tmp_path / "state"),
        "rows_per_day": 400,
        "train_days": 10,
        "scenario": scenario,
        "scenario_start_day": ONSET,
        "label_delay_days": DELAY,
    }
    return run_loop(Settings(**overrides), overrides, FIRST_DAY, days).timeline


def test_broken_upstream_data_is_a_data_quality_alarm_the_loop_lives_through_without_retraining(
    tmp_path_factory: pytest.TempPathFactory, prefect_api: None
) -> None:
    # given upstream data that breaks the schema from the onset (renamed, retyped columns, bad values)
    broken = live(tmp_path_factory.mktemp("loop-data-quality"), scenario="data_quality", days=ONSET - FIRST_DAY + 2)
    status = {r.day: r.status for r in broken}
    # then the days before are fine, the broken days raise the data-quality alarm, and nothing retrains on them
    assert [status[d] for d in range(FIRST_DAY, ONSET)] == ["ok"] * (ONSET - FIRST_DAY)
    assert [status[d] for d in (ONSET, ONSET + 1)] == ["data_quality", "data_quality"]
    assert "rows refused" in broken[-1].reason
    assert not any(r.retrained for r in broken)


def test_a_fresh_loop_removes_only_its_own_state_and_model(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    from level2_cicd.loop import MODEL_SUFFIX, fresh_state
    from shared.tracking import connect

    # given a level 1 model and an earlier loop's model, log and reports
    settings = Settings(state_dir=tmp_path / "state", model_name="churn-model" + MODEL_SUFFIX)
    connect(settings)
    client = MlflowClient()
    client.create_registered_model("churn-model")
    client.create_registered_model(settings.model_name)
    (settings.level2_dir / "reports").mkdir(parents=True)
    try:
        # when the loop starts fresh
        message = fresh_state(settings)
        # then its own state is gone, level 1's model is not
        assert not settings.level2_dir.exists()
        assert [m.name for m in client.search_registered_models()] == ["churn-model"]
        assert "--continue" in message
    finally:
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
