"""Training-serving skew: served rows against the source's own rows of the same id."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from level2_cicd.monitoring.decision import Status, WindowSummary, classify, decide
from level2_cicd.monitoring.policy import MonitoringPolicy
from level2_cicd.monitoring.skew import ENTITY_ID, compare_with_source
from shared.data.synthetic import schema_rows
from shared.schema import FEATURES, ID_COLUMN, NUMERIC_FEATURES
from tests.conftest import SMALL
from tests.level2_cicd.conftest import TrainedRegistry, started

POLICY = MonitoringPolicy.model_validate({"version": 1, "skew": {"min_rows": 50, "max_mismatch_share": 0.01}})


def _source(n: int = 200) -> pd.DataFrame:
    rows = schema_rows(n, seed=21)
    return rows.assign(**{ID_COLUMN: [f"c{i}" for i in range(n)]})


def _served(source: pd.DataFrame) -> pd.DataFrame:
    """What the service logs: the features (categories as text, numbers as floats) and the row's id."""
    served = source.drop(columns=[ID_COLUMN]).copy()
    for spec in FEATURES:
        if not spec.is_categorical:
            served[spec.name] = pd.to_numeric(served[spec.name].map(lambda v: float(v) if v is not None else np.nan))
    return served.assign(**{ENTITY_ID: source[ID_COLUMN].to_numpy()})


def test_rows_served_as_the_source_holds_them_show_no_skew() -> None:
    source = _source()
    assert compare_with_source(_served(source), source).mismatch == {}
    assert compare_with_source(_served(source), source).rows == 200


def test_a_unit_changed_on_the_serving_side_is_named_with_its_share() -> None:
    # given the serving side sends one numeric column in another unit (divided by 10) for every row
    source = _source()
    served = _served(source)
    column = NUMERIC_FEATURES[0]
    served[column] = served[column] / 10
    # and rows the source does not hold, which are not compared
    stranger = served.iloc[:5].assign(**{ENTITY_ID: [f"x{i}" for i in range(5)]})
    result = compare_with_source(pd.concat([served, stranger]), source)
    # then only that column differs, on the rows whose value was not zero or missing
    changed = source[column].map(lambda v: v is not None and float(v) != 0).mean()
    assert result.rows == 200
    assert result.mismatch == {column: changed}


def test_skew_is_an_alarm_that_never_retrains_and_names_the_column() -> None:
    base = {"day": 10, "rows": 2000, "drift_share": 0.0, "drifted_columns": (), "labelled_rows": 0, "roc_auc": None}
    skewed = WindowSummary(**base, skew_rows=300, skew={"usage_hours_30d": 0.97})  # type: ignore[arg-type]
    status, reason = classify(skewed, POLICY)
    assert status is Status.SKEW
    assert "usage_hours_30d differs on 97%" in reason
    decision = decide([(9, Status.DRIFT), (10, status)], None, 3, POLICY, reason)
    assert not decision.retrain
    assert "no retraining" in decision.reason
    # too few matched rows judge nothing; a share at the limit is no skew
    few = WindowSummary(**base, skew_rows=10, skew={"usage_hours_30d": 0.97})  # type: ignore[arg-type]
    assert classify(few, POLICY)[0] is not Status.SKEW
    noise = WindowSummary(**base, skew_rows=300, skew={"usage_hours_30d": 0.01})  # type: ignore[arg-type]
    assert classify(noise, POLICY)[0] is not Status.SKEW


def test_a_skew_injected_on_the_serving_side_raises_the_alarm_naming_the_column_and_blocks_retraining(
    trained_registry: TrainedRegistry, tmp_path: Path, prefect_api: None
) -> None:
    from level2_cicd.monitoring.flow import monitoring_flow
    from level2_cicd.service.app import create_app
    from level2_cicd.traffic import client_records
    from shared.data.source import source_from

    # given the service, and one day of the source's rows sent with their ids by a client that sends one column
    # in another unit (hours of use as days)
    store = f"sqlite:///{tmp_path / 'log.db'}"
    settings = trained_registry.settings(prediction_store_url=store)
    source = source_from(settings)
    day = source.calendar.day_of(source.today())
    when = source.calendar.date_of(day)
    rows = source.rows(when, when)
    column = next((spec.name for spec in FEATURES if spec.kind == "numeric"), None)  # a unit change stays in range
    if column is None:
        pytest.skip("the schema has no numeric feature")
    sent = [{**row, column: None if row[column] is None else row[column] / 24} for row in client_records(rows)]
    with started(create_app(settings)) as client:
        body = {"rows": sent, "event_time": f"{when}T12:00:00", "ids": rows[ID_COLUMN].astype(str).tolist()}
        assert client.post("/predict", json=body).status_code == 200
    # when the monitor judges that day (a policy that would retrain on any alarm at once)
    policy = {"version": 1, "min_rows": 50, "min_labelled_days_after_alarm": 0, "consecutive_windows": 1}
    (tmp_path / "monitoring.yaml").write_text(yaml.safe_dump(policy))
    overrides = {
        "state_dir": str(trained_registry.state_dir),
        **SMALL,
        "prediction_store_url": store,
        "monitoring_policy_file": str(tmp_path / "monitoring.yaml"),
        "monitoring_dashboard": False,
    }
    outcome = monitoring_flow(day=day, settings_overrides=overrides)
    # then it is skew, naming the column, and nothing was retrained
    assert outcome.decision.status is Status.SKEW
    assert f"{column} differs on" in outcome.decision.reason
    assert (outcome.retrained, outcome.decision.retrain) == (False, False)
    assert outcome.summary.skew_rows == len(rows)
