"""What the model should do with a feature (``effect:`` in the schema), checked on holdout rows moved."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from shared.behaviour import BehaviourRule, Effect, Limits, Scores, check_behaviour, check_rule, moved_up, rules_from
from shared.model import fit_model, predict_proba
from shared.schema import FEATURE_NAMES, FEATURES, LABEL_COLUMN, Feature, Kind, with_schema_types

LIMITS = Limits()
RULES = rules_from(FEATURES)


def _scores_of(model: Pipeline) -> Scores:
    return lambda frame: predict_proba(model, frame).to_numpy()


def _split(window: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = with_schema_types(window)
    cut = int(len(rows) * 0.75)
    return rows.iloc[:cut], rows.iloc[cut:][list(FEATURE_NAMES)]


@pytest.mark.skipif(not RULES, reason="the schema declares no effect")
def test_a_model_of_the_data_keeps_the_declared_effects_and_one_of_shuffled_labels_does_not(
    small_window: pd.DataFrame,
) -> None:
    # given rows whose labels follow the schema's declared effects, and the same rows with their labels shuffled
    train, holdout = _split(small_window)
    shuffled = train.assign(**{LABEL_COLUMN: train[LABEL_COLUMN].sample(frac=1.0, random_state=3).to_numpy()})
    # when a model of each is checked against the declared rules
    learned = check_behaviour(_scores_of(fit_model(train)), holdout, RULES, LIMITS)
    guessed = check_behaviour(_scores_of(fit_model(shuffled)), holdout, RULES, LIMITS)
    # then the first holds every rule, the second breaks at least one, named with its numbers
    assert [r.feature for r in learned if not r.passed] == []
    broken = [str(r) for r in guessed if not r.passed]
    assert broken
    assert all(text.startswith("behaviour of ") and "rows" in text for text in broken)


def _table(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": rng.uniform(0, 10, n), "b": rng.uniform(0, 10, n)})


def test_a_rule_is_judged_by_how_the_answers_move() -> None:
    # given a scorer that rises with a, falls with b, and ignores nothing else
    def scores(frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(1 / (1 + np.exp(-(0.4 * frame["a"] - 0.4 * frame["b"]))))

    rows = _table()
    # when each direction is checked, then the true ones hold and the false ones fail, naming the feature
    assert check_rule(scores, rows, BehaviourRule("a", Effect.RAISES), LIMITS).passed
    assert check_rule(scores, rows, BehaviourRule("b", Effect.LOWERS), LIMITS).passed
    wrong = check_rule(scores, rows, BehaviourRule("b", Effect.RAISES), LIMITS)
    assert not wrong.passed
    assert wrong.mean_change < 0
    assert str(wrong).startswith("behaviour of b: a higher value")
    # and a feature the scorer uses is not one that does not matter
    assert not check_rule(scores, rows, BehaviourRule("a", Effect.NONE), LIMITS).passed


def test_a_feature_that_must_not_matter_passes_only_when_it_does_not() -> None:
    rows = _table()

    def ignores_b(frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(frame["a"] / 10)

    result = check_rule(ignores_b, rows, BehaviourRule("b", Effect.NONE), LIMITS)
    assert result.passed
    assert result.against_share == 0.0


def test_a_moved_value_stays_valid_and_whole_numbers_move_by_whole_units() -> None:
    column = pd.Series([0.0, 1.0, 2.0, 3.0, 118.0, np.nan])
    moved = moved_up(column, BehaviourRule("x", Effect.RAISES, maximum=120.0, whole=True))
    assert moved.iloc[4] == 120.0  # clipped to the declared maximum
    assert np.isnan(moved.iloc[5])  # a missing value stays missing
    assert (moved.iloc[:4] - column.iloc[:4] >= 1).all()
    assert (moved.iloc[:4] % 1 == 0).all()


def test_the_schema_refuses_a_direction_on_a_categorical_feature() -> None:
    with pytest.raises(ValueError, match="colour: a categorical feature has no higher value"):
        Feature(name="colour", kind=Kind.CATEGORICAL, description="c", categories=("red",), effect=Effect.RAISES)
    assert Feature(name="colour", kind=Kind.CATEGORICAL, description="c", categories=("red",), effect=Effect.NONE)


def test_rules_come_from_the_declared_features_only() -> None:
    # given three features: an integer that raises, a category that must not matter, a number with no declaration
    features = [
        Feature(name="n", kind=Kind.INTEGER, description="d", maximum=10, effect=Effect.RAISES),
        Feature(name="c", kind=Kind.CATEGORICAL, description="d", categories=("a",), effect=Effect.NONE),
        Feature(name="x", kind=Kind.NUMERIC, description="d"),
    ]
    # then the rules are the two declared, the integer's moved by whole units up to its maximum
    assert rules_from(features) == [
        BehaviourRule("n", Effect.RAISES, maximum=10.0, whole=True),
        BehaviourRule("c", Effect.NONE, maximum=None, whole=False),
    ]
