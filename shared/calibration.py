"""Thresholds sized from a team's own data, each with its derivation (`make calibrate`): pure rules, no files.

The measurements (``DataProfile``) come from the configured source; the baseline's cross-validated ROC AUC from the
recipe trained on it. Each rule is stated where it is applied and repeated in the comment written beside the value.
On the template's simulator they give what ships (tests/shared/test_calibration.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from shared.calibration_math import auc_standard_error
from shared.model import fit_model, predict_proba
from shared.schema import FEATURES, LABEL_COLUMN, TIME_COLUMN

VOLUME_SHARE = 0.10  # a window or a day with less than a tenth of its usual rows is a broken export, not a lull
LABELLED_SHARE = 0.05  # quality is judged on a twentieth of a day's labelled predictions or more
FLOOR_MARGIN = 0.05  # a candidate may fall this far below what the recipe reaches on the data
FLOOR_STEP = 0.05  # ... rounded down to a multiple of this, so the floor does not move with every point
LIVE_ERRORS = 3  # the live floor sits this many standard errors of one day's ROC AUC below the model floor
NULL_FACTOR = 2  # nullable columns may be null twice as often as the worst day seen, in steps of NULL_STEP
NULL_STEP = 0.05


@dataclass(frozen=True)
class DataProfile:
    """What the source's history says: volume, labels, missing values."""

    days: int
    rows_per_day: float  # median of the days that have rows
    first: date
    today: date
    newest_labelled: date
    label_delay_days: int | None  # measured; None when every row is labelled (the simulator labels all)
    positive_rate: float
    labelled_share: float  # of the rows of days whose labels are due
    worst_null_share: float  # the largest daily null share of a nullable feature
    worst_null_column: str | None


@dataclass(frozen=True)
class Baseline:
    """The recipe's holdout ROC AUC on the source's newest windows (walk-forward folds)."""

    aucs: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.aucs))

    @property
    def spread(self) -> float:
        return float(np.std(self.aucs, ddof=1)) if len(self.aucs) > 1 else 0.0


@dataclass(frozen=True)
class Proposal:
    file: str  # under config/
    key: str  # dotted: data_gate.min_rows
    value: float | int
    reason: str


def profile(rows: pd.DataFrame, today: date, newest_labelled: date) -> DataProfile:
    """Measure a history of typed rows (``with_schema_types``)."""
    days = rows[TIME_COLUMN].dt.date
    per_day = days.value_counts()
    delay = (today - newest_labelled).days if rows[LABEL_COLUMN].isna().any() else None
    due = rows[days <= newest_labelled]
    worst, column = 0.0, None
    for spec in (f for f in FEATURES if f.nullable):
        share = float(rows[spec.name].isna().groupby(days).mean().max())
        worst, column = (share, spec.name) if share > worst or column is None else (worst, column)
    return DataProfile(
        days=len(per_day),
        rows_per_day=float(per_day.median()),
        first=min(days),
        today=today,
        newest_labelled=newest_labelled,
        label_delay_days=delay,
        positive_rate=float(due[LABEL_COLUMN].mean()),
        labelled_share=float(due[LABEL_COLUMN].notna().mean()) if len(due) else 0.0,
        worst_null_share=worst,
        worst_null_column=column,
    )


def baseline(rows: pd.DataFrame, newest: date, train_days: int, folds: int = 3, test_days: int = 3) -> Baseline:
    """The recipe trained on ``train_days`` and judged on the next ``test_days``, walking back from ``newest`` (the
    newest labelled day): the ROC AUC a team can expect of it on its own data (a fold short of days is skipped)."""
    days = rows[TIME_COLUMN].dt.date
    aucs = []
    for fold in range(folds):
        test_last = newest - timedelta(days=fold * test_days)
        test_first = test_last - timedelta(days=test_days - 1)
        train_first = test_first - timedelta(days=train_days)
        train, test = (
            rows[(days >= train_first) & (days < test_first)],
            rows[(days >= test_first) & (days <= test_last)],
        )
        if days.min() > train_first or test[LABEL_COLUMN].nunique() < 2:
            continue
        model = fit_model(train[train[LABEL_COLUMN].notna()])
        aucs.append(float(roc_auc_score(test[LABEL_COLUMN].astype(int), predict_proba(model, test))))
    if not aucs:
        raise ValueError(f"the history is too short for one fold: {train_days} + {test_days} labelled days needed")
    return Baseline(tuple(aucs))


def _n(value: float) -> str:
    return f"{value:,.0f}"


def volume_rules(data: DataProfile, train_days: int, retrain_days: int) -> list[Proposal]:
    """How many rows the data gate and the monitor need before they judge anything."""
    r = data.rows_per_day
    smallest = min(train_days, retrain_days)
    window_rows = max(1, math.floor(VOLUME_SHARE * r * smallest))
    day_rows = max(1, math.floor(VOLUME_SHARE * r))
    labelled = max(1, math.floor(LABELLED_SHARE * r * data.labelled_share))
    measured = f"{_n(r)} rows a day (median of {data.days} days, {data.first}..{data.today})"
    return [
        Proposal(
            "training_policy.yaml",
            "data_gate.min_rows",
            window_rows,
            f"{VOLUME_SHARE:.0%} of the smallest window the gate judges: {smallest} days (training {train_days}, "
            f"retraining {retrain_days}) x {measured}",
        ),
        Proposal("monitoring_policy.yaml", "min_rows", day_rows, f"{VOLUME_SHARE:.0%} of {measured}"),
        Proposal(
            "monitoring_policy.yaml",
            "quality.min_labelled_rows",
            labelled,
            f"{LABELLED_SHARE:.0%} of a day's labelled rows ({_n(r * data.labelled_share)}: {data.labelled_share:.0%}"
            f" of {_n(r)} get a label)",
        ),
    ]


def quality_rules(data: DataProfile, baseline: Baseline) -> list[Proposal]:
    """The model gate's floor from what the recipe reaches on the data; the live floor below it by one day's noise."""
    floor = math.floor((baseline.mean - FLOOR_MARGIN) / FLOOR_STEP + 1e-9) * FLOOR_STEP
    labelled = data.rows_per_day * data.labelled_share
    error = auc_standard_error(baseline.mean, labelled * data.positive_rate, labelled * (1 - data.positive_rate))
    live = round(floor - LIVE_ERRORS * error, 2)
    folds = ", ".join(f"{auc:.3f}" for auc in baseline.aucs)
    reached = f"the recipe's holdout ROC AUC {baseline.mean:.3f} ({len(baseline.aucs)} walk-forward folds: {folds})"
    return [
        Proposal(
            "training_policy.yaml",
            "model_gate.min_roc_auc",
            round(floor, 2),
            f"{reached} - {FLOOR_MARGIN}, rounded down to a multiple of {FLOOR_STEP}",
        ),
        Proposal(
            "monitoring_policy.yaml",
            "quality.min_roc_auc",
            live,
            f"the model floor {floor:.2f} - {LIVE_ERRORS} x {error:.4f}, the standard error of one day's ROC AUC "
            f"(Hanley & McNeil; {_n(labelled)} labelled rows, {data.positive_rate:.0%} positive)",
        ),
    ]


def missing_rule(data: DataProfile) -> list[Proposal]:
    if data.worst_null_column is None:
        return []
    share = max(NULL_STEP, math.ceil(NULL_FACTOR * data.worst_null_share / NULL_STEP - 1e-9) * NULL_STEP)
    return [
        Proposal(
            "training_policy.yaml",
            "data_gate.max_null_share",
            round(min(share, 1.0), 2),
            f"{NULL_FACTOR} x the largest daily null share seen ({data.worst_null_share:.1%}, "
            f"{data.worst_null_column}), rounded up to a multiple of {NULL_STEP}",
        )
    ]


def delay_rule(data: DataProfile, configured: int) -> list[Proposal]:
    if data.label_delay_days is None:
        return []  # every row labelled: the delay cannot be seen in the data (the simulator's is its setting)
    reason = (
        f"measured: the newest day with rows is {data.today}, the newest whose labels have all arrived "
        f"{data.newest_labelled} (was {configured})"
    )
    return [Proposal("settings.yaml", "label_delay_days", data.label_delay_days, reason)]


def proposals(
    data: DataProfile, baseline: Baseline, train_days: int, retrain_days: int, label_delay: int
) -> list[Proposal]:
    """Every threshold the data can size, with its reason."""
    found = delay_rule(data, label_delay) + volume_rules(data, train_days, retrain_days)
    return found + missing_rule(data) + quality_rules(data, baseline)
