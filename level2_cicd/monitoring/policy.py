"""The monitoring policy: thresholds, minimum rows, cooldown, read from a versioned YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from shared.policy_file import PolicyError, StrictModel, read_policy


class DriftPolicy(StrictModel):
    max_drifted_share: float = Field(default=0.3, gt=0, le=1)


class DataQualityPolicy(StrictModel):
    max_rejected_share: float = Field(default=0.05, gt=0, lt=1)


class SkewPolicy(StrictModel):
    """Served rows against the source's own rows of the same id (monitoring/skew.py)."""

    min_rows: int = Field(default=50, ge=1)  # rows served with an id the source holds, needed to judge
    max_mismatch_share: float = Field(default=0.01, ge=0, lt=1)  # a column differing on more of them is skew


class QualityPolicy(StrictModel):
    min_labelled_rows: int = Field(default=100, ge=1)
    min_roc_auc: float = Field(default=0.72, gt=0.5, le=1)
    max_drop_vs_holdout: float = Field(default=0.10, gt=0, le=1)  # live ROC AUC this far below the version's own


class MonitoringPolicy(StrictModel):
    """Every value has the template's default: a key a file leaves out (an older fork's file) keeps it."""

    version: int = Field(default=1, ge=1)
    min_rows: int = Field(default=200, ge=1)
    data_quality: DataQualityPolicy = DataQualityPolicy()
    skew: SkewPolicy = SkewPolicy()
    drift: DriftPolicy = DriftPolicy()
    quality: QualityPolicy = QualityPolicy()
    consecutive_windows: int = Field(default=1, ge=1)
    min_labelled_days_after_alarm: int = Field(default=5, ge=0)
    retrain_window_days: int = Field(default=5, ge=3)
    cooldown_days: int = Field(default=7, ge=0)
    retrain_by: Literal["prefect", "ci"] = "prefect"


def load_monitoring_policy(path: Path) -> MonitoringPolicy:
    """Read and validate the policy; raises PolicyError naming the file and each bad field."""
    return read_policy(path, MonitoringPolicy)


__all__ = ["MonitoringPolicy", "PolicyError", "load_monitoring_policy"]
