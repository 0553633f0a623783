"""The data policy of the prediction log: which labels it accepts, how long it keeps rows."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.policy_file import StrictModel, read_policy


class RetentionPolicy(StrictModel):
    predictions_days: int = Field(default=365, ge=1)
    labels_days: int = Field(default=365, ge=1)
    rejections_days: int = Field(default=90, ge=1)


class DataPolicy(StrictModel):
    """Every value has the template's default: a key a file leaves out (an older fork's file) keeps it."""

    version: int = Field(default=1, ge=1)
    label_horizon_days: int = Field(default=90, ge=1)
    retention: RetentionPolicy = RetentionPolicy()
    purge_batch_rows: int = Field(default=5000, ge=1)


def load_data_policy(path: Path) -> DataPolicy:
    """Read and validate the policy; raises PolicyError naming the file and each bad field."""
    return read_policy(path, DataPolicy)
