"""Rows made from the schema alone: valid values for any feature list, for self-checks and generic tests.

Whatever features a fork declares in ``shared/schema.py`` (ranges, categories, nullability), these
rows honour them, so code that only needs "some valid rows" never depends on the churn simulator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shared.behaviour import Effect
from shared.schema import FEATURES, ID_COLUMN, LABEL_COLUMN, TIME_COLUMN, Feature, Kind


def _column(spec: Feature, rng: np.random.Generator, n: int, null_share: float) -> pd.Series:
    if spec.kind is Kind.CATEGORICAL:
        values = pd.Series(rng.choice(np.array(spec.categories, dtype=object), n), dtype=object)
    elif spec.kind is Kind.BOOLEAN:
        values = pd.Series(rng.random(n) < 0.5, dtype=object)
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


def _standardised(spec: Feature, values: pd.Series) -> np.ndarray:
    if spec.kind is Kind.BOOLEAN:
        return np.nan_to_num(values.astype(float).to_numpy() * 2 - 1)
    low = spec.minimum if spec.minimum is not None else 0.0
    high = spec.maximum if spec.maximum is not None else low + 100.0
    middle, spread = (low + high) / 2, max((high - low) / 4, 1e-9)
    return np.nan_to_num((values.astype(float).to_numpy() - middle) / spread)


def _declared(spec: Feature, weight: float) -> float:
    """The drawn weight, made to honour the effect the schema declares (a clear one: a behaviour check can see it)."""
    if spec.effect is Effect.NONE:
        return 0.0
    if spec.effect is None:
        return weight
    size = max(abs(weight), 0.6)
    return size if spec.effect is Effect.RAISES else -size


def learnable_labels(frame: pd.DataFrame, seed: int, rng: np.random.Generator) -> np.ndarray:
    """0/1 labels that depend on every feature through fixed effects drawn from ``seed`` (as the schema declares)."""
    effects = np.random.default_rng([seed, 1_000_003])
    score = np.zeros(len(frame))
    for spec in FEATURES:
        if spec.kind is Kind.CATEGORICAL:
            weights = dict(zip(spec.categories, effects.normal(0, 1.2, len(spec.categories)), strict=True))
            score += frame[spec.name].map(weights).fillna(0.0).to_numpy(dtype=float)
        else:
            score += _declared(spec, effects.normal(0, 1.2)) * _standardised(spec, frame[spec.name])
    return (rng.random(len(frame)) < 1 / (1 + np.exp(-score))).astype("int64")


def schema_day(seed: int, day: int, rows: int, start: pd.Timestamp) -> pd.DataFrame:
    """One day of labelled rows for any schema: id, event time, features, label; deterministic for (seed, day)."""
    rng = np.random.default_rng([seed, day])
    frame = pd.DataFrame({spec.name: _column(spec, rng, rows, 0.05) for spec in FEATURES})
    seconds = np.sort(rng.uniform(0, 86400, rows))
    frame.insert(0, TIME_COLUMN, start + pd.to_timedelta(seconds, unit="s"))
    frame.insert(0, ID_COLUMN, [f"s{seed}-{day}-{i}" for i in range(rows)])
    frame[LABEL_COLUMN] = learnable_labels(frame, seed, rng)
    return frame
