import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from level2_cicd.service.fast_scorer import compile_scorer
from shared.model import fit_model
from shared.schema import FEATURE_NAMES, to_records


def test_compiled_scorer_matches_the_pipeline_exactly(small_window: pd.DataFrame) -> None:
    # given the shared recipe fitted on data with nulls, when rows (some with an unseen category) are scored
    model = fit_model(small_window)
    rows = small_window.sample(500, random_state=1).copy()
    rows.loc[rows.index[:5], "payment_method"] = "crypto"
    scorer = compile_scorer(model)
    assert scorer is not None
    # then the NumPy path gives the pipeline's probabilities
    expected = model.predict_proba(rows[list(FEATURE_NAMES)])[:, 1]
    np.testing.assert_allclose(scorer.score(to_records(rows)), expected, rtol=0, atol=1e-12)
    assert rows["days_since_last_login"].isna().any()


def test_unknown_pipeline_structure_is_not_compiled() -> None:
    assert compile_scorer(Pipeline([("classifier", LogisticRegression())])) is None
