"""Delayed ground truth: a row's label is only known some days after its event."""

from __future__ import annotations

import pandas as pd

from shared.schema import LABEL_COLUMN, TIME_COLUMN


def labels_known_by(frame: pd.DataFrame, as_of: pd.Timestamp, delay_days: int) -> pd.DataFrame:
    """Copy of ``frame`` whose labels are null for rows younger than ``delay_days`` at ``as_of``."""
    known = frame.copy()
    released = pd.to_datetime(known[TIME_COLUMN]) + pd.Timedelta(days=delay_days) <= as_of
    known[LABEL_COLUMN] = known[LABEL_COLUMN].astype("Int64").where(released)
    return known
