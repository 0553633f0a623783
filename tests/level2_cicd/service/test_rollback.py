"""A release that rolls itself back: a champion promoted into the service that fails live goes, within its watch.

The real app (in-process), the real registry and prediction log; the bad release is a real scikit-learn model
that cannot score one category its training never saw (a category the schema allows).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from sklearn.preprocessing import OneHotEncoder

from level1_pipeline.tags import FEATURES_TAG
from level1_pipeline.tracking import TrainingRun
from level2_cicd.service.app import create_app
from shared.data.synthetic import schema_rows
from shared.model import fit_model
from shared.prediction_log import PREDICTIONS, create_store_engine
from shared.registry import Move, Registry
from shared.release_policy import LiveTestPolicy, WatchPolicy
from shared.schema import CATEGORICAL_FEATURES, FEATURES, to_records, with_schema_types
from shared.settings import Settings
from tests.level2_cicd.conftest import TrainedRegistry, started

# a categorical feature of two categories or more: one the bad release never saw, one it did
CHOSEN = next((spec for spec in FEATURES if spec.name in CATEGORICAL_FEATURES and len(spec.categories) > 1), None)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHOSEN is None, reason="the schema has no categorical feature of two categories or more"),
]
COLUMN = CHOSEN.name if CHOSEN else ""
UNSEEN = CHOSEN.categories[-1] if CHOSEN else ""


def a_release_that_fails_on_a_category(registry: Registry, settings: Settings, window: pd.DataFrame) -> str:
    """Trained without one category, its encoder told to refuse what it did not see: registered, not promoted."""
    rows = with_schema_types(window)
    rows = rows[rows[COLUMN] != UNSEEN]
    model = fit_model(rows)
    for step in model.named_steps["preprocess"].named_transformers_.values():
        if isinstance(step, OneHotEncoder):
            step.handle_unknown = "error"
    experiment = mlflow.MlflowClient().get_experiment_by_name(settings.experiment_name)
    assert experiment is not None
    with TrainingRun.start(experiment.experiment_id, "fails-on-a-category", {}) as run:
        uri, model_id = run.log_model(model, rows)
    tags = {key: value for key, value in registry.version("1").tags.items() if key in ("threshold", FEATURES_TAG)}
    return str(registry.register(uri, model_id, run.run_id, tags).version)


def wait_until(check: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.2)


def test_a_champion_that_fails_live_is_rolled_back_within_its_watch_and_nothing_acknowledged_is_lost(
    trained_registry: TrainedRegistry, small_window: pd.DataFrame, tmp_path: Path
) -> None:
    # given a registry of its own (champion v1) and a watch of 60 s judging after 10 requests
    state = tmp_path / "state"
    shutil.copytree(trained_registry.state_dir, state)
    policy = tmp_path / "release.yaml"
    watch = WatchPolicy(duration_seconds=60, min_requests=10, max_error_increase=0.05)
    policy.write_text(yaml.safe_dump(LiveTestPolicy(mode="off", watch=watch).model_dump()))
    settings = Settings(state_dir=state, model_poll_seconds=0.3, release_policy_file=policy, tracking_uri=None)
    mlflow.set_tracking_uri(settings.resolved_tracking_uri)
    registry = Registry(settings.model_name)
    broken = a_release_that_fails_on_a_category(registry, settings, small_window)
    assert CHOSEN is not None
    seen = CHOSEN.categories[0]
    usual = [row | {COLUMN: seen} for row in to_records(schema_rows(40, seed=5))]
    acknowledged: list[str] = []
    with started(create_app(settings)) as client:

        def predict(row: dict[str, Any]) -> int:
            answer = client.post("/predict", json={"rows": [row]})
            if answer.status_code == 200:
                acknowledged.extend(p["request_id"] for p in answer.json()["predictions"])
            return answer.status_code

        assert {predict(row) for row in usual[:15]} == {200}  # the champion's own record
        # when the broken version is promoted and the service swaps to it
        registry.promote(broken, Move("a test", "a release that fails on a category"))
        wait_until(lambda: client.get("/model").json()["version"] == broken, "the service serves the new champion")
        # and live traffic meets the category it cannot score
        answers = [predict(row | {COLUMN: UNSEEN} if i % 2 else row) for i, row in enumerate(usual[15:35])]
        # then it is rolled back by the service itself, and the service serves version 1 again
        wait_until(lambda: registry.champion_number() == "1", "champion back at version 1")
        wait_until(lambda: client.get("/model").json()["version"] == "1", "the service serves version 1 again")
        assert predict(usual[39] | {COLUMN: UNSEEN}) == 200
    assert 500 in answers  # the failing requests were answered 500, not acknowledged
    said = registry.version(broken).tags
    assert said["rolled_back_to"] == "1"
    assert "requests failed" in said["rollback_reason"]
    assert any("release watch" in move.get("by", "") for move in registry.trail("1"))
    # and every acknowledged prediction is in the log
    engine = create_store_engine(settings.resolved_prediction_store_url)
    with engine.connect() as connection:
        logged = set(connection.execute(sa.select(PREDICTIONS.c.request_id)).scalars())
    engine.dispose()
    assert set(acknowledged) <= logged
    assert len(acknowledged) >= 26
