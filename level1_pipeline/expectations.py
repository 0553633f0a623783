"""Two schema rules Great Expectations has no built-in expectation for, as real GX 1.x expectations.

``shared/schema.py`` says a numeric feature holds numbers and an integer feature whole numbers;
GX's type-list expectation only checks the column's dtype (no count, no offending values) and
has no whole-number rule at all. These column-map expectations check every non-null value, so a
failure reports how many rows broke the rule and which values they held.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial


class ColumnValuesAreNumbers(ColumnMapMetricProvider):
    condition_metric_name = "column_values.are_numbers"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:  # noqa: N805 (GX makes it a classmethod)
        return pd.to_numeric(column, errors="coerce").notna()


class ColumnValuesAreWholeNumbers(ColumnMapMetricProvider):
    condition_metric_name = "column_values.are_whole_numbers"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:  # noqa: N805 (GX makes it a classmethod)
        return pd.to_numeric(column, errors="coerce") % 1 == 0


class ExpectColumnValuesToBeNumbers(ColumnMapExpectation):
    """Every non-null value of the column is a number (text such as "three" is not)."""

    map_metric: ClassVar[str] = "column_values.are_numbers"
    success_keys = ("mostly",)


class ExpectColumnValuesToBeWholeNumbers(ColumnMapExpectation):
    """Every non-null value of the column is a whole number (a count of 2.5 is not)."""

    map_metric: ClassVar[str] = "column_values.are_whole_numbers"
    success_keys = ("mostly",)
