"""The pipeline's steps as plain functions (pure logic wired to adapters); ``flow.py`` runs each as a task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from shared.behaviour import BehaviourResult, check_behaviour, rules_from
from shared.data.source import source_from
from shared.data.windows import DataWindow, TimeSplit, split_by_time
from shared.metrics import choose_threshold, classification_metrics
from shared.model import ModelParams, fit_baseline, fit_model, predict_proba
from shared.registry import Registry, RegistryError
from shared.schema import FEATURE_NAMES, FEATURES, LABEL_COLUMN
from shared.settings import Settings
from shared.slices import SliceScore, slice_masks, slice_scores

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from level1_pipeline.policy import BehaviourPolicy, SplitPolicy


@dataclass(frozen=True)
class TrainedModel:
    model: Pipeline
    threshold: float
    params: ModelParams


def ingest_window(settings: Settings, window: DataWindow) -> pd.DataFrame:
    """The raw rows of the window, as the source delivers them (validated next, not here)."""
    return source_from(settings).rows(window.first, window.last)


def split_window(frame: pd.DataFrame, policy: SplitPolicy) -> TimeSplit:
    return split_by_time(frame, policy.validation_share, policy.holdout_share)


def train(split: TimeSplit, params: ModelParams) -> TrainedModel:
    """Fit the recipe on the train window and choose the threshold on the validation window."""
    model = fit_model(split.train, params)
    threshold = choose_threshold(split.validation[LABEL_COLUMN], predict_proba(model, split.validation))
    return TrainedModel(model, threshold, params)


@dataclass(frozen=True)
class Scored:
    """A model's scores on the holdout (scored once), and what they say."""

    scores: pd.Series  # NaN or infinite scores read as 0.5, so the metrics can be computed and the gate refuse
    metrics: dict[str, float]
    slices: dict[str, SliceScore]  # the holdout's slices (shared/slices.py)
    non_finite: int  # scores that were NaN or infinite


def score_holdout(model: Pipeline, holdout: pd.DataFrame, threshold: float) -> Scored:
    raw = predict_proba(model, holdout)
    finite = np.isfinite(raw.to_numpy())
    scores = raw.where(finite, 0.5)
    labels = holdout[LABEL_COLUMN]
    metrics = classification_metrics(labels, scores, threshold)
    return Scored(scores, metrics, slice_scores(labels, scores, slice_masks(holdout)), int((~finite).sum()))


def score_baseline(split: TimeSplit) -> Scored:
    """The simpler model, trained on the same rows and scored on the same holdout (ML Test Score model.5)."""
    return score_holdout(fit_baseline(split.train), split.holdout, 0.5)


def check_candidate_behaviour(model: Pipeline, holdout: pd.DataFrame, policy: BehaviourPolicy) -> list[BehaviourResult]:
    """What the schema says the model should do with a feature (``effect:``), checked on holdout rows moved."""
    rows = holdout[list(FEATURE_NAMES)].sample(min(policy.rows, len(holdout)), random_state=0)
    return check_behaviour(
        lambda frame: predict_proba(model, frame).to_numpy(), rows, rules_from(FEATURES), policy.limits()
    )


@dataclass(frozen=True)
class JudgedChampion:
    """The champion a candidate is compared with, scored on the candidate's holdout (not when it has other features)."""

    version: str | None
    scored: Scored | None = None
    other_features: bool = False  # trained on another feature set: replaced without a comparison, when allowed


def score_champion(registry: Registry, holdout: pd.DataFrame, allow_schema_change: bool) -> JudgedChampion:
    champion = registry.champion()
    if champion is None:
        return JudgedChampion(None)
    if (differs := champion.schema_differences) is not None:
        if not allow_schema_change:
            raise RegistryError(
                f"champion version {champion.version} was trained on another feature set ({differs}). Nothing was "
                "registered. To replace it by a model of this schema, judged without the champion, set "
                "MLOPS_ALLOW_SCHEMA_CHANGE=true"
            )
        return JudgedChampion(champion.version, other_features=True)  # promotion is still a compare-and-set
    return JudgedChampion(champion.version, score_holdout(registry.load(champion), holdout, champion.threshold))
