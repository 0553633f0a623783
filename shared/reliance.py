"""How much a model relies on each input column: permutation importance on held-out rows, as shares of one.

Each registered version carries its reliance (the training run logs it beside the reference sample); the monitor
weighs the columns that drifted by it, so a drift in what the model uses raises the alarm and a drift in what it
ignores does not. Permutation importance is model-agnostic and needs no extra package: a column's importance is how
much the holdout ROC AUC falls when that column's values are shuffled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from shared.model import predict_proba
from shared.schema import FEATURE_NAMES, LABEL_COLUMN

SAMPLE_ROWS = 1500  # a holdout sample: the shares move by a point or two beyond it
REPEATS = 2


def auc_drops(model: Pipeline, holdout: pd.DataFrame, seed: int = 0) -> dict[str, float]:
    """How much the holdout ROC AUC falls when each feature's values are shuffled (mean of ``REPEATS`` shuffles).

    Every shuffled copy of the sample is scored in one call: the pipeline's per-call cost is paid once.
    """
    sample = holdout.sample(min(SAMPLE_ROWS, len(holdout)), random_state=seed).reset_index(drop=True)
    labels = sample[LABEL_COLUMN].astype(int)
    if labels.nunique() < 2:
        return {name: 0.0 for name in FEATURE_NAMES}
    rng = np.random.default_rng(seed)
    copies = [sample]
    for name in FEATURE_NAMES:
        for _ in range(REPEATS):
            copies.append(sample.assign(**{name: sample[name].to_numpy()[rng.permutation(len(sample))]}))
    scores = predict_proba(model, pd.concat(copies, ignore_index=True)).to_numpy().reshape(len(copies), len(sample))
    base = roc_auc_score(labels, scores[0])
    drops = [base - roc_auc_score(labels, shuffled) for shuffled in scores[1:]]
    return {name: float(np.mean(drops[i * REPEATS : (i + 1) * REPEATS])) for i, name in enumerate(FEATURE_NAMES)}


def reliance(model: Pipeline, holdout: pd.DataFrame, seed: int = 0) -> dict[str, float]:
    """Each feature's share of the model's reliance (non-negative, summing to 1; equal when none matters)."""
    return shares({name: max(drop, 0.0) for name, drop in auc_drops(model, holdout, seed).items()})


def shares(importances: dict[str, float]) -> dict[str, float]:
    """Importances as shares of their sum; equal shares when they sum to nothing."""
    total = sum(importances.values())
    if total <= 0:
        return {name: 1 / len(importances) for name in importances}
    return {name: value / total for name, value in importances.items()}
