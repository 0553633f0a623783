import pandas as pd
import pytest

from level1_pipeline.data_gate import validate_frame
from level1_pipeline.policy import DataGatePolicy
from shared.data.scenarios import Defect, Scenario, ScenarioName
from shared.data.simulator import ChurnSimulator

POLICY = DataGatePolicy(min_rows=100, max_null_share=0.1)


def test_clean_window_passes(small_window: pd.DataFrame) -> None:
    report = validate_frame(small_window, POLICY)
    assert report.success, report.summary()
    assert report.rows == len(small_window)


@pytest.mark.parametrize(
    ("defect", "column", "expectation"),
    [
        (Defect.NULLS, "monthly_charges", "expect_column_values_to_not_be_null"),
        (Defect.OUT_OF_RANGE, "tenure_months", "expect_column_values_to_be_between"),
        (Defect.UNSEEN_CATEGORY, "payment_method", "expect_column_values_to_be_in_set"),
        (Defect.RETYPED_COLUMN, "support_calls_30d", "expect_column_values_to_be_in_type_list"),
        (Defect.RENAMED_COLUMN, "usage_hours_30d", "expect_column_to_exist"),
    ],
)
def test_each_defect_fails_the_gate_naming_column_and_rule(defect: Defect, column: str, expectation: str) -> None:
    world = ChurnSimulator(seed=5, rows_per_day=400, scenario=Scenario(ScenarioName.DATA_QUALITY, 0, (defect,)))
    report = validate_frame(world.day(0), POLICY)
    assert not report.success
    assert (expectation, column) in {(f.expectation, f.column) for f in report.failures}
    assert column in report.summary()


def test_too_few_rows_fail_the_volume_check(small_window: pd.DataFrame) -> None:
    report = validate_frame(small_window.head(50), POLICY)
    assert [f.expectation for f in report.failures] == ["expect_table_row_count_to_be_between"]


def test_nullable_column_tolerates_nulls_up_to_the_policy_share(small_window: pd.DataFrame) -> None:
    frame = small_window.copy()
    frame.loc[frame.index[: len(frame) // 4], "days_since_last_login"] = None  # 25% > 10%
    report = validate_frame(frame, POLICY)
    assert report.failed_columns == ["days_since_last_login"]
