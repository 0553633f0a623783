"""Model quality on the data's slices: each categorical (and boolean) column's values, and quartiles of each numeric
column, on the holdout. Pure: labels, scores and the holdout's features in, a table out.

A candidate better overall can be much worse for one group of rows (one contract type, the newest customers); the
model gate (level1_pipeline/model_gate.py) refuses it, naming the slice.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from shared.calibration_math import auc_standard_error
from shared.schema import FEATURES, Kind

QUARTILES = 4


@dataclass(frozen=True)
class SliceScore:
    rows: int
    positives: int
    roc_auc: float | None  # None when the slice holds one class only

    @property
    def standard_error(self) -> float:
        """Of its ROC AUC (Hanley & McNeil); infinite when there is none."""
        if self.roc_auc is None:
            return float("inf")
        return auc_standard_error(self.roc_auc, self.positives, self.rows - self.positives)


def slice_masks(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Every slice of the frame by name: `column=value` for categorical and boolean columns, `column in [a, b)`
    for quartiles of numeric ones (bounds from the frame itself, so two models judged on it share the slices)."""
    masks: dict[str, pd.Series] = {}
    for spec in FEATURES:
        column = frame[spec.name]
        if spec.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
            for value in column.dropna().unique():
                masks[f"{spec.name}={value}"] = column == value
            continue
        edges = np.unique(np.nanquantile(column.astype(float), np.linspace(0, 1, QUARTILES + 1)))
        for low, high in pairwise(edges):
            last = high == edges[-1]
            inside = (column >= low) & ((column <= high) if last else (column < high))
            masks[f"{spec.name} in [{low:g}, {high:g}{']' if last else ')'}"] = inside
    return masks


def slice_scores(labels: pd.Series, scores: pd.Series, masks: dict[str, pd.Series]) -> dict[str, SliceScore]:
    """Rows and ROC AUC of each slice."""
    found = {}
    for name, mask in masks.items():
        chosen = labels[mask.to_numpy()].astype(int)
        auc = float(roc_auc_score(chosen, scores[mask.to_numpy()])) if chosen.nunique() == 2 else None
        found[name] = SliceScore(int(mask.sum()), int(chosen.sum()), auc)
    return found
