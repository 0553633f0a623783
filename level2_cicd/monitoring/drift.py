"""Evidently 0.7 adapter: data drift of a window against the champion's reference data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from shared.schema import CATEGORICAL_FEATURES, FEATURE_NAMES, NUMERIC_FEATURES


@dataclass(frozen=True)
class DriftResult:
    share: float
    drifted_columns: tuple[str, ...]
    scores: dict[str, float]
    snapshot: Any  # evidently Snapshot, for saving HTML/JSON


def _dataset(frame: pd.DataFrame) -> Any:
    from evidently import DataDefinition, Dataset

    definition = DataDefinition(
        numerical_columns=list(NUMERIC_FEATURES), categorical_columns=list(CATEGORICAL_FEATURES)
    )
    return Dataset.from_pandas(frame[list(FEATURE_NAMES)].reset_index(drop=True), data_definition=definition)


def detect_drift(reference: pd.DataFrame, current: pd.DataFrame, when: datetime | None = None) -> DriftResult:
    """Per-column drift tests of the features; the share of feature columns that drifted (snapshot dated ``when``)."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    snapshot = Report([DataDriftPreset(columns=list(FEATURE_NAMES))], include_tests=True).run(
        current_data=_dataset(current), reference_data=_dataset(reference), timestamp=when, name="drift"
    )
    raw = snapshot.dict()
    scores: dict[str, float] = {}
    for metric in raw["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift") and config.get("column") in FEATURE_NAMES:
            scores[config["column"]] = float(metric["value"])
    drifted = tuple(
        t["metric_config"]["params"]["column"]
        for t in raw["tests"]
        if t["metric_config"]["params"].get("column") in FEATURE_NAMES and str(t["status"].value) == "FAIL"
    )
    return DriftResult(len(drifted) / len(FEATURE_NAMES), drifted, scores, snapshot)


def drift_of_day(reference: pd.DataFrame, current: pd.DataFrame, when: datetime) -> DriftResult | None:
    """The day's drift against the serving version's reference; None for a day without traffic."""
    return detect_drift(reference, current, when) if len(current) else None
