"""The monitoring policy: thresholds, minimum rows, cooldown, read from a versioned YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from shared.policy_file import PolicyError, StrictModel, read_policy


class DriftPolicy(StrictModel):
    max_drifted_share: float = Field(gt=0, le=1)


class DataQualityPolicy(StrictModel):
    max_rejected_share: float = Field(gt=0, lt=1)


class QualityPolicy(StrictModel):
    min_labelled_rows: int = Field(ge=1)
    min_roc_auc: float = Field(gt=0.5, le=1)


class MonitoringPolicy(StrictModel):
    version: int = Field(ge=1)
    min_rows: int = Field(ge=1)
    data_quality: DataQualityPolicy
    drift: DriftPolicy
    quality: QualityPolicy
    consecutive_windows: int = Field(ge=1)
    min_labelled_days_after_alarm: int = Field(ge=0)
    retrain_window_days: int = Field(ge=3)
    cooldown_days: int = Field(ge=0)
    retrain_by: Literal["prefect", "ci"] = "prefect"


def load_monitoring_policy(path: Path) -> MonitoringPolicy:
    """Read and validate the policy; raises PolicyError naming the file and each bad field."""
    return read_policy(path, MonitoringPolicy)


__all__ = ["MonitoringPolicy", "PolicyError", "load_monitoring_policy"]
