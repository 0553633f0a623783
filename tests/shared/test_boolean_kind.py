"""The boolean kind: true/false (or 1/0) in data and requests, 0/1 for the model; a boolean label too."""

import numpy as np
import pandas as pd
import pytest

from shared.policy_file import StrictModel
from shared.schema import LABEL_COLUMN, Feature, Kind, broken_rules, with_schema_types

FLAG = Feature(name="has_discount", kind=Kind.BOOLEAN, description="Whether a discount applies.", nullable=True)


def test_true_false_and_one_zero_honour_a_boolean_feature() -> None:
    column = pd.Series([True, False, np.True_, 1, 0.0, None], dtype=object)
    assert broken_rules(FLAG, column) == []


def test_anything_else_breaks_it_and_is_named() -> None:
    column = pd.Series([True, "yes", 2, 0.5], dtype=object)
    ((rule, rows),) = broken_rules(FLAG, column)
    assert rule == "must be true or false (or 1 or 0)"
    assert rows.tolist() == [False, True, True, True]


def test_a_boolean_feature_has_no_range_or_categories() -> None:
    class One(StrictModel):
        feature: Feature

    with pytest.raises(ValueError, match="a boolean feature is true or false"):
        One.model_validate({"feature": {"name": "x", "kind": "boolean", "description": "d", "maximum": 1}})


def test_a_boolean_label_becomes_one_and_zero(small_window: pd.DataFrame) -> None:
    frame = small_window.head(3).copy()
    frame[LABEL_COLUMN] = pd.Series([True, False, None], index=frame.index, dtype=object)
    assert with_schema_types(frame)[LABEL_COLUMN].tolist() == [1, 0, pd.NA]
