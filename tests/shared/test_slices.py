"""Slices of the holdout, named by column: generic (columns from the schema)."""

import numpy as np
import pandas as pd

from shared.schema import FEATURES, LABEL_COLUMN, Kind
from shared.slices import QUARTILES, slice_masks, slice_scores


def test_every_category_value_and_every_numeric_quartile_is_a_slice(small_window: pd.DataFrame) -> None:
    masks = slice_masks(small_window)
    for spec in FEATURES:
        mine = [name for name in masks if name.startswith(f"{spec.name}=") or name.startswith(f"{spec.name} in [")]
        if spec.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
            assert len(mine) == small_window[spec.name].nunique()
        else:
            assert 1 <= len(mine) <= QUARTILES
            covered = pd.concat([masks[name] for name in mine], axis=1).sum(axis=1)
            assert (covered[small_window[spec.name].notna()] == 1).all()  # each non-null row in exactly one


def test_a_slice_scores_its_own_rows(small_window: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    labels = small_window[LABEL_COLUMN]
    scores = pd.Series(np.where(labels == 1, 0.9, 0.1) + rng.normal(0, 0.01, len(labels)))  # perfect everywhere
    found = slice_scores(labels, scores, slice_masks(small_window))
    judged = [s for s in found.values() if s.roc_auc is not None]
    assert judged
    assert all(s.roc_auc == 1.0 for s in judged)
    assert sum(s.rows for name, s in found.items() if name.startswith(f"{FEATURES[0].name}")) >= len(labels) * 0.9
