"""How much a model relies on each column (permutation importance as shares): generic, columns from the schema."""

import pandas as pd

from shared.model import fit_model
from shared.reliance import reliance, shares
from shared.schema import FEATURES, LABEL_COLUMN, with_schema_types


def test_the_one_column_the_label_follows_carries_most_of_the_reliance(small_window: pd.DataFrame) -> None:
    # given rows whose label follows one numeric column alone
    rows = with_schema_types(small_window)
    column = next(f.name for f in FEATURES if not f.is_categorical and not f.nullable)
    rows[LABEL_COLUMN] = (rows[column] > rows[column].median()).astype("Int64")
    model = fit_model(rows.iloc[:3000])
    # when its reliance is measured on held-out rows, then that column carries most of it, and the shares sum to 1
    found = reliance(model, rows.iloc[3000:])
    assert max(found, key=lambda name: found[name]) == column
    assert found[column] > 0.5
    assert abs(sum(found.values()) - 1) < 1e-9


def test_importances_that_sum_to_nothing_weigh_every_column_alike() -> None:
    assert shares({"a": 0.0, "b": 0.0}) == {"a": 0.5, "b": 0.5}
    assert shares({"a": 3.0, "b": 1.0}) == {"a": 0.75, "b": 0.25}
