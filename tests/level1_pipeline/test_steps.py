import pandas as pd


def test_ingest_retries_transient_errors_only() -> None:
    from prefect.states import Failed

    from shared.orchestration import transient

    assert transient(None, None, Failed(data=ConnectionResetError("reset by peer")))
    assert not transient(None, None, Failed(data=FileNotFoundError("data/x.csv")))
    assert not transient(None, None, Failed(data=ValueError("bad row")))


def test_a_model_that_scores_nan_or_infinity_is_measured_and_refused_not_crashed(small_window: pd.DataFrame) -> None:
    import numpy as np

    from level1_pipeline.model_gate import judge_candidate
    from level1_pipeline.policy import ModelGatePolicy
    from level1_pipeline.steps import score_holdout
    from shared.model import fit_model
    from shared.schema import with_schema_types

    # given a real model whose scores go numerically wrong on three holdout rows
    rows = with_schema_types(small_window)
    train, holdout = rows.iloc[:3000], rows.iloc[3000:]
    model = fit_model(train)

    class Unstable:
        def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
            found = model.predict_proba(frame)
            found[:3, 1] = [np.nan, np.inf, -np.inf]
            return found

    # when it is scored on the holdout, then the metrics still come out and the gate refuses it, saying why
    scored = score_holdout(Unstable(), holdout, 0.5)
    assert scored.non_finite == 3
    gate = judge_candidate(scored, None, ModelGatePolicy(min_roc_auc=0.0))
    assert not gate.passed
    assert "3 holdout scores are NaN or infinite" in gate.reasons
