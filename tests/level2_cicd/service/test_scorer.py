"""The service's one scoring interface: the model's predict_proba, or the speed room's scorer only when equal."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from level2_cicd.service.scorer import PlainScorer, ScoringPath, scorer_for
from shared.data.synthetic import schema_rows
from shared.model import fit_model
from shared.schema import FEATURE_NAMES, LABEL_COLUMN, NUMERIC_FEATURES, to_records


def test_both_paths_give_the_registry_models_answers_and_decisions(small_window: pd.DataFrame) -> None:
    # given the shared recipe fitted on the older rows
    train, holdout = small_window.iloc[:3000], small_window.iloc[3000:]
    model = fit_model(train)
    rows = to_records(holdout)
    # when the holdout is scored by each path
    plain = scorer_for(model, ScoringPath.PLAIN)
    fast = scorer_for(model, ScoringPath.FAST)
    # then the plain path is the model's predict_proba, the fast one is the speed room's, and they agree
    assert isinstance(plain, PlainScorer)
    assert not isinstance(fast, PlainScorer)
    expected = model.predict_proba(holdout[list(FEATURE_NAMES)])[:, 1]
    np.testing.assert_allclose(plain.score(rows), expected, rtol=0, atol=0)
    np.testing.assert_allclose(fast.score(rows), expected, rtol=0, atol=1e-6)
    threshold = float(np.median(expected))
    assert ((fast.score(rows) >= threshold) == (expected >= threshold)).all()
    assert holdout[LABEL_COLUMN].nunique() == 2  # the rows are a real holdout, both classes in it


def test_a_recipe_the_speed_room_does_not_know_keeps_the_plain_path() -> None:
    # given a recipe with a scaler (not a block the speed room replays)
    frame = schema_rows(300, seed=4)
    label = (pd.util.hash_pandas_object(frame, index=False) % 2).astype(int)
    numeric = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())])
    model = Pipeline(
        [
            ("preprocess", ColumnTransformer([("numeric", numeric, list(NUMERIC_FEATURES))])),
            ("classifier", HistGradientBoostingClassifier(max_iter=10)),
        ]
    ).fit(frame[list(FEATURE_NAMES)], label)
    # when the fast path is asked for, then the model's own predict_proba serves
    assert isinstance(scorer_for(model, ScoringPath.FAST), PlainScorer)
