import numpy as np
import pandas as pd
import pytest

from shared.schema import FEATURE_NAMES, SchemaError, conform

pytestmark = pytest.mark.churn  # the churn world itself; a fork with another schema deselects it


@pytest.fixture
def clean(small_window: pd.DataFrame) -> pd.DataFrame:
    return small_window.head(50).copy()


def rejected_columns(frame: pd.DataFrame) -> dict[str, str]:
    with pytest.raises(SchemaError) as raised:
        conform(frame)
    return {v.column: v.rule for v in raised.value.violations}


def test_clean_data_conforms_with_schema_dtypes(clean: pd.DataFrame) -> None:
    typed = conform(clean, require_label=True)
    assert list(typed[list(FEATURE_NAMES)].columns) == list(FEATURE_NAMES)
    assert typed["tenure_months"].dtype == np.float64


def test_missing_column_is_named(clean: pd.DataFrame) -> None:
    assert rejected_columns(clean.drop(columns=["plan"])) == {"plan": "is missing"}


def test_wrong_type_is_named_with_examples(clean: pd.DataFrame) -> None:
    clean["monthly_charges"] = clean["monthly_charges"].astype(str) + " EUR"
    with pytest.raises(SchemaError, match=r"monthly_charges.*must be numeric.*EUR"):
        conform(clean)


def test_out_of_range_value_is_named_with_the_range(clean: pd.DataFrame) -> None:
    clean.loc[clean.index[0], "tenure_months"] = 999
    assert rejected_columns(clean) == {"tenure_months": "must be between 0 and 120"}


def test_unseen_category_is_named_with_the_allowed_ones(clean: pd.DataFrame) -> None:
    clean.loc[clean.index[:2], "contract"] = "lifetime"
    rules = rejected_columns(clean)
    assert list(rules) == ["contract"]
    assert "month-to-month" in rules["contract"]


def test_nulls_only_where_allowed(clean: pd.DataFrame) -> None:
    clean.loc[clean.index[0], "days_since_last_login"] = np.nan  # nullable
    clean.loc[clean.index[1], "usage_hours_30d"] = np.nan  # not nullable
    assert rejected_columns(clean) == {"usage_hours_30d": "must not be null"}


def test_fractional_count_is_refused(clean: pd.DataFrame) -> None:
    clean.loc[clean.index[0], "support_calls_30d"] = 1.5
    assert rejected_columns(clean) == {"support_calls_30d": "must be a whole number"}


def test_every_problem_is_reported_at_once(clean: pd.DataFrame) -> None:
    clean = clean.rename(columns={"plan": "tier"})
    clean.loc[clean.index[0], "tenure_months"] = -4
    assert set(rejected_columns(clean)) == {"plan", "tier", "tenure_months"}


def test_label_must_be_binary_when_required(clean: pd.DataFrame) -> None:
    clean.loc[clean.index[0], "churned"] = 2
    with pytest.raises(SchemaError, match="churned"):
        conform(clean, require_label=True)
