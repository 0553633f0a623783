"""Evaluation plots as matplotlib figures: ROC curve, confusion matrix, calibration, a sweep's trials."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from shared.schema import LABEL_COLUMN

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5, 4), dpi=100)
    return figure, figure.add_subplot()


def roc_figure(labels: pd.Series, probabilities: pd.Series) -> Figure:
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(labels.astype(int), probabilities)
    figure, ax = _figure()
    ax.plot(fpr, tpr, label=f"AUC {roc_auc_score(labels.astype(int), probabilities):.3f}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (holdout)")
    ax.legend(loc="lower right")
    return figure


def confusion_figure(labels: pd.Series, probabilities: pd.Series, threshold: float) -> Figure:
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(labels.astype(int), probabilities >= threshold, labels=[0, 1])
    figure, ax = _figure()
    ax.imshow(matrix, cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        ax.text(col, row, str(count), ha="center", va="center")
    title = f"Confusion (threshold {threshold:.2f})"
    ax.set(xticks=[0, 1], yticks=[0, 1], xlabel="predicted", ylabel="actual", title=title)
    return figure


def calibration_figure(labels: pd.Series, probabilities: pd.Series) -> Figure:
    from sklearn.calibration import calibration_curve

    observed, predicted = calibration_curve(labels.astype(int), probabilities, n_bins=10, strategy="quantile")
    figure, ax = _figure()
    ax.plot(predicted, observed, marker="o")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.set(xlabel="predicted probability", ylabel=f"observed rate of {LABEL_COLUMN}", title="Calibration (holdout)")
    return figure


def trials_figure(numbers: list[int], scores: list[float | None]) -> Figure:
    """A sweep's trials side by side: validation ROC AUC per trial (a failed trial is a grey stub)."""
    figure, ax = _figure()
    heights = [score if score is not None else 0.0 for score in scores]
    colours = ["tab:blue" if score is not None else "lightgrey" for score in scores]
    ax.bar([str(n) for n in numbers], heights, color=colours)
    finished = [s for s in scores if s is not None]
    if finished and len(finished) == len(scores):
        ax.set_ylim(max(0.0, min(finished) - 0.05), min(1.0, max(finished) + 0.02))
    ax.set(xlabel="trial", ylabel="validation ROC AUC", title="Sweep trials")
    return figure


def reliance_figure(shares: dict[str, float]) -> Figure:
    """Each column's share of the model's reliance (permutation importance on the holdout), largest on top."""
    ordered = sorted(shares.items(), key=lambda item: item[1])
    figure, ax = _figure()
    ax.barh([name for name, _ in ordered], [share for _, share in ordered])
    ax.set(xlabel="share of the model's reliance", title="What the model relies on (holdout)")
    figure.tight_layout()
    return figure
