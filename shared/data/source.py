"""Build the configured data source from settings."""

from __future__ import annotations

from shared.data.scenarios import Scenario
from shared.data.simulator import ChurnSimulator
from shared.settings import Settings


def simulator_from(settings: Settings) -> ChurnSimulator:
    """The simulator described by the settings (seed, rows per day, scenario and its start)."""
    scenario = Scenario.parse(settings.scenario, settings.scenario_start_day)
    return ChurnSimulator(seed=settings.seed, rows_per_day=settings.rows_per_day, scenario=scenario)
