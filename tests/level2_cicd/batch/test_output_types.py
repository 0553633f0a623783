"""Batch output keeps each input column's own type (a generic test: columns come from the schema)."""

import pandas as pd

from level2_cicd.batch.partition import check_partition
from shared.data.synthetic import schema_rows
from shared.schema import TIME_COLUMN


def test_the_scored_rows_keep_the_types_they_came_with() -> None:
    # given rows as a Parquet file holds them: integers as integers, times with their UTC offset
    rows = schema_rows(20, seed=3, null_share=0.0)
    rows[TIME_COLUMN] = pd.date_range("2026-03-01", periods=20, freq="h", tz="UTC")
    # when the partition is checked, then the rows to score (and write back) are the rows as they came
    valid = check_partition(rows).valid
    assert valid[rows.columns].dtypes.to_dict() == rows.dtypes.to_dict()
    assert valid[TIME_COLUMN].dt.tz is not None
