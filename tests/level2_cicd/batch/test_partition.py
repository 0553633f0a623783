"""A batch partition's pure logic: which rows can be scored, why the others cannot, their log rows."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from level2_cicd.batch.partition import REASONS_COLUMN, ROW_COLUMN, check_partition, log_rows, request_ids
from shared.data.simulator import ChurnSimulator
from shared.schema import LABEL_COLUMN, SchemaError

pytestmark = pytest.mark.churn  # breaks the churn schema's own rules; a fork with another schema deselects it


@pytest.fixture
def rows() -> pd.DataFrame:
    return ChurnSimulator(rows_per_day=20).day(3).drop(columns=[LABEL_COLUMN])


def test_rows_that_break_a_rule_are_split_off_with_every_rule_they_break(rows: pd.DataFrame) -> None:
    # given three broken rows, one of them breaking two rules
    rows.loc[2, "plan"] = "gold"
    rows.loc[5, "tenure_months"] = -1
    rows.loc[5, "contract"] = None
    rows.loc[9, "tenure_months"] = 500

    # when the partition is checked
    checked = check_partition(rows)

    # then the rejects are exactly those rows, in their input positions, with their reasons
    assert checked.rejects[ROW_COLUMN].tolist() == [2, 5, 9]
    reasons = dict(zip(checked.rejects[ROW_COLUMN], checked.rejects[REASONS_COLUMN], strict=True))
    assert reasons[2] == "plan: must be one of basic, standard, premium"
    assert reasons[5] == "tenure_months: must be between 0 and 120; contract: must not be null"
    assert len(checked.valid) == 17
    assert not set(checked.valid[ROW_COLUMN]) & {2, 5, 9}
    counted = {(v.column, v.rule): v.count for v in checked.violations}
    assert counted[("tenure_months", "must be between 0 and 120")] == 2
    assert counted[("contract", "must not be null")] == 1


def test_a_partition_without_a_feature_column_cannot_be_scored(rows: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="column 'plan': is missing"):
        check_partition(rows.drop(columns=["plan"]))


def test_log_rows_are_tagged_batch_with_the_rows_own_event_time_and_stable_ids(rows: pd.DataFrame) -> None:
    # given scored rows
    scored = check_partition(rows).valid.assign(probability=0.25, prediction=0, model_version="7")
    ids = request_ids("job", 4, scored[ROW_COLUMN])

    # when they become log rows
    logged = log_rows(scored, ids, served_at=datetime(2026, 3, 1))

    # then each carries its id, the batch tag, the version and the event time of its row
    assert ids == request_ids("job", 4, scored[ROW_COLUMN])
    assert len(set(ids)) == len(ids)
    assert {(r["source"], r["model_version"], r["probability"]) for r in logged} == {("batch", "7", 0.25)}
    assert [r["created_at"] for r in logged] == [t.to_pydatetime() for t in pd.to_datetime(rows["event_time"])]
    assert logged[0]["served_at"] == datetime(2026, 3, 1)
