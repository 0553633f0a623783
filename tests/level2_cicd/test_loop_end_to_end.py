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

    from level2_cicd.loop import DEMO_FOLDER, MODEL_SUFFIX, NotTheDemosError, fresh_state
    from shared.tracking import connect

    # given a level 1 model, your own level 2 log, and an earlier demo's model, log and reports
    yours = Settings(state_dir=tmp_path / "state")
    settings = Settings(
        state_dir=tmp_path / "state", model_name="churn-model" + MODEL_SUFFIX, level2_folder=DEMO_FOLDER
    )
    connect(settings)
    client = MlflowClient()
    client.create_registered_model("churn-model")
    yours.level2_dir.mkdir(parents=True)
    (yours.level2_dir / "predictions.db").write_text("your serve/replay log")
    try:
        fresh_state(settings)  # the first demo run makes its folder
        client.create_registered_model(settings.model_name)
        (settings.level2_dir / "reports").mkdir()
        # when the demo starts fresh again
        message = fresh_state(settings)
        # then its own state is gone, level 1's model and your level 2 log are not
        assert not (settings.level2_dir / "reports").exists()
        assert [m.name for m in client.search_registered_models()] == ["churn-model"]
        assert (yours.level2_dir / "predictions.db").read_text() == "your serve/replay log"
        assert "--continue" in message
        # and a demo folder it did not make is left alone, the run stopped
        not_made = Settings(state_dir=tmp_path / "state", model_name=settings.model_name, level2_folder="level2")
        with pytest.raises(NotTheDemosError, match="was not made by `make level2`"):
            fresh_state(not_made)
        assert (yours.level2_dir / "predictions.db").is_file()
    finally:
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
