"""Rows made from the schema alone: valid values for any feature list, for self-checks and generic tests.

Whatever features a fork declares in ``shared/schema.py`` (ranges, categories, nullability), these
rows honour them, so code that only needs "some valid rows" never depends on the churn simulator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shared.schema import FEATURES, Feature, Kind


def _column(spec: Feature, rng: np.random.Generator, n: int, null_share: float) -> pd.Series:
    if spec.kind is Kind.CATEGORICAL:
        values = pd.Series(rng.choice(np.array(spec.categories, dtype=object), n), dtype=object)
    else:
        low = spec.minimum if spec.minimum is not None else 0.0
        high = spec.maximum if spec.maximum is not None else low + 100.0
        drawn = rng.uniform(low, high, n)
        values = pd.Series(np.clip(np.round(drawn), low, high) if spec.kind is Kind.INTEGER else drawn)
    if spec.nullable and null_share > 0:
        values = values.mask(pd.Series(rng.random(n) < null_share))
    return values


def schema_rows(n: int, seed: int = 0, null_share: float = 0.1) -> pd.DataFrame:
    """``n`` rows of every feature, valid for the schema; nullable features are missing in ``null_share`` of them."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({spec.name: _column(spec, rng, n, null_share) for spec in FEATURES})
