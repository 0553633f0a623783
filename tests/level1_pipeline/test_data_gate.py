from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from level1_pipeline.data_gate import validate_frame
from level1_pipeline.policy import DataGatePolicy
from shared.data.scenarios import Defect, Scenario, ScenarioName
from shared.data.simulator import ChurnSimulator
from shared.schema import FEATURES, ID_COLUMN, LABEL_COLUMN, TIME_COLUMN, Kind, find_violations
from tests.schema_cases import feature_of

POLICY = DataGatePolicy(min_rows=100, max_null_share=0.1)


def test_clean_window_passes(small_window: pd.DataFrame) -> None:
    report = validate_frame(small_window, POLICY)
    assert report.success, report.summary()
    assert report.rows == len(small_window)


@pytest.mark.churn
@pytest.mark.parametrize(
    ("defect", "column", "expectation"),
    [
        (Defect.NULLS, "monthly_charges", "expect_column_values_to_not_be_null"),
        (Defect.OUT_OF_RANGE, "tenure_months", "expect_column_values_to_be_between"),
        (Defect.UNSEEN_CATEGORY, "payment_method", "expect_column_values_to_be_in_set"),
        (Defect.RETYPED_COLUMN, "support_calls_30d", "expect_column_values_to_be_numbers"),
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
    nullable = feature_of(nullable=True).name
    frame.loc[frame.index[: len(frame) // 4], nullable] = None  # 25% > 10%
    report = validate_frame(frame, POLICY)
    assert report.failed_columns == [nullable]


def _corruptions() -> list[tuple[str, str, Callable[[pd.DataFrame], pd.DataFrame]]]:
    """(column, rule, corrupt) for every rule the schema declares, generated from the schema itself."""
    found: list[tuple[str, str, Callable[[pd.DataFrame], pd.DataFrame]]] = []

    def dropping(column: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
        return lambda frame: frame.drop(columns=[column])

    def setting(column: str, value: Any) -> Callable[[pd.DataFrame], pd.DataFrame]:
        def corrupt(frame: pd.DataFrame) -> pd.DataFrame:
            broken = frame.astype({column: object}).copy()
            broken.loc[broken.index[:3], column] = value
            return broken

        return corrupt

    for spec in FEATURES:
        found.append((spec.name, "is missing", dropping(spec.name)))
        if not spec.nullable:
            found.append((spec.name, "must not be null", setting(spec.name, None)))
        if spec.is_categorical:
            found.append((spec.name, "must be one of", setting(spec.name, "not-a-category")))
            continue
        found.append((spec.name, "must be", setting(spec.name, "not a number")))
        if spec.kind is Kind.INTEGER:
            found.append((spec.name, "must be a whole number", setting(spec.name, (spec.minimum or 0) + 0.5)))
        if spec.minimum is not None:
            found.append((spec.name, "must be between", setting(spec.name, spec.minimum - 1)))
        if spec.maximum is not None:
            found.append((spec.name, "must be between", setting(spec.name, spec.maximum + 1)))
    found.append(("surprise", "is not in the schema", lambda f: f.assign(surprise=1)))
    for column in (ID_COLUMN, TIME_COLUMN, LABEL_COLUMN):
        found.append((column, "is missing", dropping(column)))
    return found


@pytest.mark.parametrize(("column", "rule", "corrupt"), _corruptions(), ids=lambda v: v if isinstance(v, str) else "")
def test_gate_and_schema_agree_on_every_rule(
    small_window: pd.DataFrame, column: str, rule: str, corrupt: Callable[[pd.DataFrame], pd.DataFrame]
) -> None:
    # given a clean window broken in one rule of the schema
    broken = corrupt(small_window)
    # when both the schema check and the data gate look at it
    violations = [v for v in find_violations(broken, require_label=True) if v.column == column]
    report = validate_frame(broken, POLICY)
    # then both refuse it, on that column
    assert any(rule in v.rule for v in violations), violations
    assert not report.success
    named = {f.column for f in report.failures} | {x for f in report.failures for x in f.examples}
    assert column in named, report.summary()
