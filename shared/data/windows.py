"""Time windows: which days to train on, and the leak-free train/validation/holdout split."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from shared.schema import TIME_COLUMN


@dataclass(frozen=True)
class DataWindow:
    """The days ``first`` to ``last``, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"invalid window: {self.first} .. {self.last}")

    @classmethod
    def ending_on(cls, last: date, days: int) -> DataWindow:
        return cls(last - timedelta(days=days - 1), last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __str__(self) -> str:
        return f"{self.first}..{self.last}"


@dataclass(frozen=True)
class TimeSplit:
    train: pd.DataFrame
    validation: pd.DataFrame
    holdout: pd.DataFrame


def split_by_time(frame: pd.DataFrame, validation_share: float = 0.15, holdout_share: float = 0.15) -> TimeSplit:
    """Split rows by timestamp into consecutive train / validation / holdout windows.

    Every validation row is later than every train row, and every holdout row later still: no
    future information leaks into training.
    """
    if not 0 < validation_share < 1 or not 0 < holdout_share < 1 or validation_share + holdout_share >= 1:
        raise ValueError("validation_share and holdout_share must be in (0, 1) and sum below 1")
    ordered = frame.sort_values(TIME_COLUMN, kind="stable").reset_index(drop=True)
    times = ordered[TIME_COLUMN]
    train_end = times.quantile(1 - validation_share - holdout_share)
    validation_end = times.quantile(1 - holdout_share)
    train = ordered[times < train_end]
    validation = ordered[(times >= train_end) & (times < validation_end)]
    holdout = ordered[times >= validation_end]
    if min(len(train), len(validation), len(holdout)) == 0:
        raise ValueError(f"window of {len(frame)} rows is too small to split into train/validation/holdout")
    return TimeSplit(train.reset_index(drop=True), validation.reset_index(drop=True), holdout.reset_index(drop=True))
