"""The NumPy fast path: equal to predict_proba for every recipe it compiles, absent for any other."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from level2_cicd.speed.fast_scorer import compile_scorer, verified_scorer
from shared.data.synthetic import schema_rows
from shared.model import fit_model
from shared.schema import CATEGORICAL_FEATURES, FEATURE_NAMES, NUMERIC_FEATURES, to_records


def test_compiled_scorer_matches_the_pipeline_exactly(small_window: pd.DataFrame) -> None:
    # given the shared recipe fitted on data with nulls, when rows (some with an unseen category) are scored
    model = fit_model(small_window)
    rows = small_window.sample(500, random_state=1).copy()
    for column in CATEGORICAL_FEATURES[:1]:
        rows.loc[rows.index[:5], column] = "never-seen"
    scorer = compile_scorer(model)
    assert scorer is not None
    # then the NumPy path gives the pipeline's probabilities
    expected = model.predict_proba(rows[list(FEATURE_NAMES)])[:, 1]
    np.testing.assert_allclose(scorer.score(to_records(rows)), expected, rtol=0, atol=1e-12)


def _fitted(preprocess: ColumnTransformer) -> Pipeline:
    """A recipe of another shape, fitted on schema-made rows with a label that depends on them."""
    frame = schema_rows(400, seed=3)
    label = (pd.util.hash_pandas_object(frame, index=False) % 2).astype(int)
    pipeline = Pipeline([("preprocess", preprocess), ("classifier", HistGradientBoostingClassifier(max_iter=20))])
    return pipeline.fit(frame[list(FEATURE_NAMES)], label)


IMPUTER = SimpleImputer(strategy="median", add_indicator=True)
ENCODER = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
SHAPES = {
    "numeric only": [("numeric", IMPUTER, list(NUMERIC_FEATURES))],
    "categorical only": [("categorical", ENCODER, list(CATEGORICAL_FEATURES))],
    "categorical first, empty block": [
        ("categorical", ENCODER, list(CATEGORICAL_FEATURES)),
        ("numeric", IMPUTER, list(NUMERIC_FEATURES)),
        ("nothing", ENCODER, []),
    ],
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_other_recipe_shapes_compile_and_pass_the_self_check(shape: str) -> None:
    if not any(columns for _, _, columns in SHAPES[shape]):
        pytest.skip(f"the schema has no features for the {shape!r} shape")
    pipeline = _fitted(ColumnTransformer(SHAPES[shape]))
    scorer = verified_scorer(pipeline, schema_rows(64, seed=0))
    assert scorer is not None
    rows = schema_rows(200, seed=9)
    expected = pipeline.predict_proba(rows[list(FEATURE_NAMES)])[:, 1]
    np.testing.assert_allclose(scorer.score(to_records(rows)), expected, rtol=0, atol=1e-12)


def test_a_recipe_with_unknown_steps_falls_back_to_predict_proba() -> None:
    scaled = ColumnTransformer(
        [("numeric", Pipeline([("impute", IMPUTER), ("scale", StandardScaler())]), list(NUMERIC_FEATURES))]
    )
    assert verified_scorer(_fitted(scaled), schema_rows(64, seed=0)) is None
    assert compile_scorer(Pipeline([("classifier", LogisticRegression())])) is None


class ShiftedImputer(SimpleImputer):
    """A fork's customised imputer: looks like the plain one, transforms differently."""

    def transform(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803 (scikit-learn's name)
        return np.asarray(super().transform(X)) + 1.0


def test_a_compiled_scorer_that_disagrees_with_the_pipeline_is_refused() -> None:
    # given a recipe whose imputer passes for the plain one but is not
    pipeline = _fitted(ColumnTransformer([("numeric", ShiftedImputer(strategy="median"), list(NUMERIC_FEATURES))]))
    assert compile_scorer(pipeline) is not None  # the structure alone looks familiar
    # when it is self-checked, then it is refused: the service will call predict_proba
    assert verified_scorer(pipeline, schema_rows(64, seed=0)) is None
