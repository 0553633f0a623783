"""Trees as arrays: bit-for-bit the classifier's own probabilities, or not used at all."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from level2_cicd.speed.compiled_trees import SMALL_BATCH, compile_trees


def _data(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Numbers with missing values (which side they go is learnt) and a label that depends on them."""
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(rows, 5))
    label = (matrix[:, 0] + 0.5 * matrix[:, 1] ** 2 + rng.normal(scale=0.5, size=rows) > 0.5).astype(int)
    matrix[rng.random(matrix.shape) < 0.1] = np.nan
    return matrix, label


@pytest.mark.parametrize("rows", [1, 7, SMALL_BATCH])
def test_compiled_trees_give_predict_probas_probabilities_to_the_last_bit(rows: int) -> None:
    # given a binary gradient-boosted model that learnt where missing values go
    classifier = HistGradientBoostingClassifier(max_iter=40, max_depth=5, random_state=0).fit(*_data(2000, 0))
    trees = compile_trees(classifier)
    assert trees is not None
    # when a batch (missing values included) is scored both ways, then the answers are identical
    matrix, _ = _data(rows, 1)
    assert np.array_equal(trees.positive_probability(matrix), classifier.predict_proba(matrix)[:, 1])


def test_models_it_cannot_reproduce_are_left_to_predict_proba() -> None:
    matrix, label = _data(600, 2)
    three_classes = HistGradientBoostingClassifier(max_iter=5).fit(matrix, label + (matrix[:, 2] > 1))
    categories = np.column_stack([np.nan_to_num(matrix[:, :2]), np.arange(600) % 4])
    categorical = HistGradientBoostingClassifier(max_iter=5, categorical_features=[2]).fit(categories, label)
    assert compile_trees(three_classes) is None
    assert compile_trees(categorical) is None
