"""What every training flow reads first (the training run and the sweep): one preamble, written once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from level1_pipeline.policy import TrainingPolicy, load_training_policy
from shared.data.source import DataSource, source_from, training_window
from shared.data.windows import DataWindow
from shared.prefect_api import check_deployment_targets
from shared.settings import Settings, load_settings
from shared.tracking import connect


@dataclass(frozen=True)
class TrainingStart:
    settings: Settings
    policy: TrainingPolicy
    source: DataSource
    window: DataWindow
    experiment_id: str  # the tracking server is connected: registry and runs talk to it


def start_training(
    last_day: date | int | str | None, days: int | None, settings_overrides: dict[str, Any] | None
) -> TrainingStart:
    """Settings (checked against a deployment's targets), the policy, the source and its window, the experiment."""
    settings = load_settings(**(settings_overrides or {}))
    check_deployment_targets(settings)
    policy = load_training_policy(settings.training_policy_file)
    source = source_from(settings)
    window = training_window(source, settings, last_day, days)
    return TrainingStart(settings, policy, source, window, connect(settings))
