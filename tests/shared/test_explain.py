"""One prediction explained: each feature's value against its typical one, scored by the model itself."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from shared.explain import contributions, typical_row


def test_each_contribution_is_the_move_from_the_typical_value_largest_first() -> None:
    # given a scorer linear in a and b, blind to c
    def scores(rows: list[dict[str, Any]]) -> np.ndarray:
        return np.array([0.1 * row["a"] - 0.3 * row["b"] for row in rows])

    typical = {"a": 1.0, "b": 2.0, "c": "x"}
    # when a row is explained
    probability, found = contributions(scores, {"a": 3.0, "b": 1.0, "c": "y"}, typical)
    # then each change is the scorer's own difference, largest move first, and c moves nothing
    assert probability == pytest.approx(0.0)
    assert [(c.feature, round(c.change, 6)) for c in found] == [("b", 0.3), ("a", 0.2), ("c", 0.0)]
    assert (found[0].value, found[0].typical) == (1.0, 2.0)


def test_the_typical_row_is_the_median_of_numbers_and_the_mode_of_the_rest() -> None:
    frame = pd.DataFrame(
        {
            "n": [1.0, 2.0, 10.0, np.nan],
            "k": ["a", "b", "b", None],
            "f": [True, False, True, True],
            "empty": [np.nan] * 4,
        }
    )
    assert typical_row(frame) == {"n": 2.0, "k": "b", "f": True, "empty": None}
