"""Quality metrics and the decision threshold, as pure functions of labels and probabilities."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)


def choose_threshold(labels: pd.Series, probabilities: pd.Series) -> float:
    """The probability cut-off that maximises F1 on validation data (grid of 0.05..0.95)."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    positive = labels.to_numpy(dtype="int64") == 1
    predicted = probabilities.to_numpy()[np.newaxis, :] >= grid[:, np.newaxis]  # one row per cut-off
    true_positives = (predicted & positive).sum(axis=1)
    errors = (predicted & ~positive).sum(axis=1) + (positive.sum() - true_positives)  # false positives + negatives
    denominator = 2 * true_positives + errors
    scores = np.where(denominator > 0, 2 * true_positives / np.maximum(denominator, 1), 0.0)  # F1, as f1_score
    return float(grid[int(np.argmax(scores))])


def classification_metrics(labels: pd.Series, probabilities: pd.Series, threshold: float) -> dict[str, float]:
    """ROC AUC, log loss, Brier and threshold metrics of one set of predictions."""
    y = labels.to_numpy(dtype="int64")
    p = probabilities.to_numpy()
    predicted = p >= threshold
    return {
        "roc_auc": float(roc_auc_score(y, p)) if len(set(y)) > 1 else float("nan"),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "f1": float(f1_score(y, predicted, zero_division=0)),
        "precision": float(precision_score(y, predicted, zero_division=0)),
        "recall": float(recall_score(y, predicted, zero_division=0)),
        "accuracy": float(accuracy_score(y, predicted)),
        "threshold": float(threshold),
        "rows": float(len(y)),
        "positive_rate": float(y.mean()) if len(y) else float("nan"),
    }
