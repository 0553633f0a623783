import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from shared.data.source import SyntheticSource
from shared.data.windows import split_by_time
from shared.metrics import choose_threshold, classification_metrics
from shared.model import ModelParams, fit_model, predict_proba
from shared.schema import LABEL_COLUMN, TIME_COLUMN

QUALITY_FLOOR_AUC = 0.78


def test_recipe_trained_on_a_window_clears_the_floor_on_the_next_window(
    small_source: SyntheticSource, small_window: pd.DataFrame
) -> None:
    # given two weeks of data, when the recipe trains on them, then the following days score well
    model = fit_model(small_window)
    following = small_source.rows(small_source.calendar.date_of(14), small_source.calendar.date_of(17))
    metrics = classification_metrics(following[LABEL_COLUMN], predict_proba(model, following), 0.4)
    assert metrics["roc_auc"] >= QUALITY_FLOOR_AUC
    assert metrics["roc_auc"] < 0.95  # a realistic problem, not a giveaway


def test_crippled_hyperparameters_learn_less(small_source: SyntheticSource, small_window: pd.DataFrame) -> None:
    following = small_source.rows(small_source.calendar.date_of(14), small_source.calendar.date_of(17))
    good = predict_proba(fit_model(small_window), following)
    poor = predict_proba(fit_model(small_window, ModelParams(max_iter=1, max_depth=1)), following)
    assert (
        classification_metrics(following[LABEL_COLUMN], poor, 0.4)["roc_auc"]
        < classification_metrics(following[LABEL_COLUMN], good, 0.4)["roc_auc"]
    )


def test_the_threshold_maximises_f1_on_validation(small_window: pd.DataFrame) -> None:
    # given a model's validation probabilities
    split = split_by_time(small_window)
    labels, probabilities = split.validation[LABEL_COLUMN], predict_proba(fit_model(split.train), split.validation)
    # when the threshold is chosen, then no cut-off of the grid gives a better F1 there
    threshold = choose_threshold(labels, probabilities)

    def f1(cut: float) -> float:
        return float(f1_score(labels, probabilities >= cut, zero_division=0))

    assert all(f1(threshold) >= f1(cut) for cut in np.round(np.arange(0.05, 0.96, 0.01), 2))
    assert f1(threshold) > f1(0.95)  # the grid's end is not a default that slipped through


def test_time_split_has_no_leakage(small_window: pd.DataFrame) -> None:
    split = split_by_time(small_window.sample(frac=1.0, random_state=0))
    assert split.train[TIME_COLUMN].max() < split.validation[TIME_COLUMN].min()
    assert split.validation[TIME_COLUMN].max() < split.holdout[TIME_COLUMN].min()
    assert len(split.train) + len(split.validation) + len(split.holdout) == len(small_window)


def test_the_simpler_baseline_learns_the_same_rows_and_stays_linear(
    small_source: SyntheticSource, small_window: pd.DataFrame
) -> None:
    from sklearn.linear_model import LogisticRegression

    from shared.model import fit_baseline

    # given two weeks of data, when the baseline trains on them, then it is a logistic regression that learned
    baseline = fit_baseline(small_window)
    following = small_source.rows(small_source.calendar.date_of(14), small_source.calendar.date_of(17))
    assert isinstance(baseline.steps[-1][1], LogisticRegression)
    assert classification_metrics(following[LABEL_COLUMN], predict_proba(baseline, following), 0.4)["roc_auc"] > 0.7
