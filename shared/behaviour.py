"""What the model should do with a feature, declared in ``config/schema.yaml`` (``effect:``), checked on the holdout.

Behavioural tests in the sense of Ribeiro et al.'s CheckList (and Made-With-ML's): the candidate's answers on
holdout rows are compared with its answers on the same rows with one feature moved.

- ``raises`` / ``lowers``: a higher value should never lower / raise the predicted probability. Each row's value
  is moved up by the feature's interquartile range on the holdout (at least one unit for an integer; a boolean
  goes from false to true), clipped to the declared maximum. Refused when too many rows move the other way by
  more than the tolerance, or the mean move the declared way is below ``min_mean_effect`` (``Limits``). A model
  that does not use the feature breaks no such rule.
- ``none``: the feature must not matter (an id-like or protected column). Its values are shuffled among the
  rows; refused when too many answers move by more than the tolerance.

Measured (2026-12-04, the template's two declared effects, the whole holdout, the defaults): of 24 models trained
on 2,100 rows (simulator and schema-made data, six seeds, two windows) all held both rules (at most 21 % of rows
against at a 0.02 tolerance); of the same 24 trained on shuffled labels, 23 broke at least one (20 to 49 % against,
or a mean move the wrong way). On so little data it is a guard against a gross error, not a proof; more rows
separate them further.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from shared.schema import Feature

Scores = Callable[[pd.DataFrame], np.ndarray]  # the model's positive-class probabilities of feature rows


class Effect(StrEnum):
    RAISES = "raises"  # a higher value raises the predicted probability
    LOWERS = "lowers"
    NONE = "none"  # the value must not change the answer


@dataclass(frozen=True)
class BehaviourRule:
    feature: str
    effect: Effect
    maximum: float | None = None  # the declared maximum: a moved value stays a valid one
    whole: bool = False  # an integer feature moves by whole units


@dataclass(frozen=True)
class BehaviourResult:
    feature: str
    effect: Effect
    rows: int
    mean_change: float  # mean of (perturbed - original) probability
    against_share: float  # rows whose answer moved against the rule by more than the tolerance (none: moved at all)
    passed: bool

    def __str__(self) -> str:
        if self.effect is Effect.NONE:
            what = f"should not matter, yet {self.against_share:.1%} of {self.rows} answers moved when it was shuffled"
        else:
            what = (
                f"a higher value should {self.effect.value[:-1]} the predicted probability; moved up, the mean change "
                f"was {self.mean_change:+.4f} and {self.against_share:.1%} of {self.rows} rows went the other way"
            )
        return f"behaviour of {self.feature}: {what}"


def moved_up(column: pd.Series, rule: BehaviourRule) -> pd.Series:
    """Each value moved up by the column's interquartile range (one unit at least for whole numbers), kept valid."""
    if column.dtype == bool:
        return pd.Series(True, index=column.index)
    numbers = column.astype(float)
    step = float(numbers.quantile(0.75) - numbers.quantile(0.25))
    if rule.whole:
        step = max(1.0, float(np.ceil(step)))
    step = step if step > 0 else max(float(numbers.abs().max()) * 0.1, 1.0)
    moved = numbers + step
    return moved.clip(upper=rule.maximum) if rule.maximum is not None else moved


@dataclass(frozen=True)
class Limits:
    """When a rule holds (the training policy's ``model_gate.behaviour``)."""

    tolerance: float = 0.02  # a probability move smaller than this is no move
    min_mean_effect: float = 0.0  # raises/lowers: the mean move the declared way, at least (0: never the other way)
    max_against_share: float = 0.25  # raises/lowers: rows that may move the other way (trees step: a few do)
    max_moved_share: float = 0.05  # none: rows whose answer may move when the feature is shuffled


def check_rule(scores: Scores, rows: pd.DataFrame, rule: BehaviourRule, limits: Limits) -> BehaviourResult:
    before = scores(rows)
    changed = rows.copy()
    if rule.effect is Effect.NONE:
        changed[rule.feature] = rows[rule.feature].sample(frac=1.0, random_state=0).to_numpy()
        difference = scores(changed) - before
        moved = float((np.abs(difference) > limits.tolerance).mean())
        return BehaviourResult(
            rule.feature, rule.effect, len(rows), float(difference.mean()), moved, moved <= limits.max_moved_share
        )
    changed[rule.feature] = moved_up(rows[rule.feature], rule)
    sign = 1.0 if rule.effect is Effect.RAISES else -1.0
    directed = (scores(changed) - before) * sign  # positive: the way the rule says
    against = float((directed < -limits.tolerance).mean())
    passed = directed.mean() >= limits.min_mean_effect - 1e-12 and against <= limits.max_against_share
    return BehaviourResult(rule.feature, rule.effect, len(rows), float(directed.mean() * sign), against, bool(passed))


def check_behaviour(
    scores: Scores, rows: pd.DataFrame, rules: list[BehaviourRule], limits: Limits
) -> list[BehaviourResult]:
    """Every declared rule on the same rows (features only; a missing value stays missing when moved up)."""
    return [check_rule(scores, rows, rule, limits) for rule in rules]


def rules_from(features: Iterable[Feature]) -> list[BehaviourRule]:
    """The rules the schema declares (``effect:`` of each feature)."""
    return [
        BehaviourRule(f.name, f.effect, None if f.maximum is None else float(f.maximum), f.kind == "integer")
        for f in features
        if f.effect is not None
    ]
