"""Training-serving skew: what the service was sent for a row, against the source's own row of the same id.

A client that sends each row's id (the request's ``ids``) lets the monitor look the row up in the data
source, which training reads. A column whose served values differ from the source's (a unit changed on
the serving side, a stale feature cache, a different default for a missing value) is a pipeline fault:
the model answers on inputs it was never trained on. Like broken data, it raises an alarm and never a
retraining (``decision.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shared.data.source import DataSource
from shared.schema import FEATURES, ID_COLUMN

ENTITY_ID = "entity_id"  # the prediction log's column for the row's id in the client's table


@dataclass(frozen=True)
class SkewResult:
    rows: int  # served rows whose id the source also holds for the day
    mismatch: dict[str, float] = field(default_factory=dict)  # column -> share of those rows that differ


def compare_day_with_source(source: DataSource, day: int, served: pd.DataFrame) -> SkewResult:
    """What was served on ``day`` for rows with an id, against the source's own rows of that day."""
    when = source.calendar.date_of(day)
    return compare_with_source(served, source.rows(when, when))


def compare_with_source(served: pd.DataFrame, source: pd.DataFrame) -> SkewResult:
    """Per feature, the share of rows (matched by id) whose served value differs from the source's."""
    if ENTITY_ID not in served or ID_COLUMN not in source:
        return SkewResult(0)
    ours = served.dropna(subset=[ENTITY_ID]).drop_duplicates(ENTITY_ID, keep="last").set_index(ENTITY_ID)
    theirs = source.assign(**{ID_COLUMN: source[ID_COLUMN].astype(str)}).drop_duplicates(ID_COLUMN, keep="last")
    theirs = theirs.set_index(ID_COLUMN)
    common = ours.index.intersection(theirs.index)
    if common.empty:
        return SkewResult(0)
    mismatch = {
        spec.name: _differs(ours.loc[common, spec.name], theirs.loc[common, spec.name], spec.is_categorical)
        for spec in FEATURES
        if spec.name in ours and spec.name in theirs
    }
    return SkewResult(len(common), {name: share for name, share in mismatch.items() if share > 0})


def _differs(served: pd.Series, source: pd.Series, categorical: bool) -> float:
    both_missing = served.isna().to_numpy() & source.isna().to_numpy()
    if categorical:
        same = served.astype(object).to_numpy() == source.astype(object).to_numpy()
    else:
        a = pd.to_numeric(served, errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(source.map(_number), errors="coerce").to_numpy(dtype=float)
        same = np.isclose(a, b, rtol=1e-6, atol=1e-9)
    return float(np.mean(~(same | both_missing)))


def _number(value: object) -> object:
    return float(value) if isinstance(value, bool) else value  # a flag is logged as 0/1
