"""The monitor must not cry wolf, and must see real drift within one window of its onset.

Real Evidently reports on simulated windows: reference = a training-window sample, current = one day; drifted
columns weighed by the model's reliance, as the monitor weighs them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from sklearn.pipeline import Pipeline

from level2_cicd.monitoring.decision import Status, WindowSummary, classify
from level2_cicd.monitoring.drift import detect_drift
from level2_cicd.monitoring.policy import MonitoringPolicy
from shared.data.scenarios import Scenario, ScenarioName
from shared.data.simulator import ChurnSimulator
from shared.metrics import classification_metrics
from shared.model import fit_model, predict_proba
from shared.reliance import reliance

pytestmark = [pytest.mark.churn, pytest.mark.slow]  # the churn world itself; a fork with another schema deselects it

POLICY = MonitoringPolicy()  # the template's defaults, what the suite runs under (a fork's tuned file changes nothing)
SEEDS = (1, 2, 3, 4, 5)
ROWS = 1000
ONSET = 20
MAX_FALSE_ALARM_RATE = 0.05
REFERENCE_DAYS = (5, 11)
QUIET_DAYS = (14, ONSET - 1, 30, 45)
BEFORE_ONSET = (REFERENCE_DAYS[0], ONSET - 1)


def world(seed: int, name: ScenarioName) -> ChurnSimulator:
    return ChurnSimulator(seed=seed, rows_per_day=ROWS, scenario=Scenario(name, ONSET))


@dataclass(frozen=True)
class Serving:
    """A model trained on the reference days, and how much it relies on each column (as every version logs)."""

    model: Pipeline
    reliance: dict[str, float]


def status_of(
    sim: ChurnSimulator, reference_days: tuple[int, int], day: int, serving: Serving, quality: bool
) -> Status:
    reference = sim.window(*reference_days).sample(5000, random_state=0)
    current = sim.day(day)
    drift = detect_drift(reference, current)
    auc = None
    if quality:
        auc = classification_metrics(current["churned"], predict_proba(serving.model, current), 0.5)["roc_auc"]
    weights = {column: serving.reliance[column] for column in drift.drifted_columns}
    summary = WindowSummary(day, len(current), drift.share, drift.drifted_columns, len(current), auc)
    return classify(replace(summary, drifted_reliance=weights), POLICY)[0]


@pytest.fixture(scope="module")
def models() -> dict[int, Serving]:
    """Per seed, the model trained on the reference days of the quiet world (a drifting world's too: below)."""
    found = {}
    for seed in SEEDS:
        quiet = world(seed, ScenarioName.NONE)
        model = fit_model(quiet.window(*REFERENCE_DAYS))
        found[seed] = Serving(model, reliance(model, quiet.window(REFERENCE_DAYS[1] + 1, REFERENCE_DAYS[1] + 2)))
    return found


@pytest.fixture(scope="module")
def quiet_statuses(models: dict[int, Serving]) -> dict[tuple[int, int], Status]:
    """Four quiet days per seed (the day before the drifting worlds' onset among them), each judged on drift and on
    live quality."""
    return {
        (seed, day): status_of(world(seed, ScenarioName.NONE), REFERENCE_DAYS, day, models[seed], quality=True)
        for seed in SEEDS
        for day in QUIET_DAYS
    }


def test_none_scenario_stays_quiet(quiet_statuses: dict[tuple[int, int], Status]) -> None:
    false_alarms = sum(s in (Status.DRIFT, Status.DECAY) for s in quiet_statuses.values())
    assert false_alarms / len(quiet_statuses) <= MAX_FALSE_ALARM_RATE


@pytest.mark.parametrize("name", [ScenarioName.COVARIATE_DRIFT, ScenarioName.CONCEPT_DRIFT])
def test_a_drifting_world_is_the_quiet_world_until_its_onset(name: ScenarioName) -> None:
    # so the quiet world's judgements of those days (and its models) hold for the drifting worlds
    for seed in SEEDS:
        assert world(seed, name).window(*BEFORE_ONSET).equals(world(seed, ScenarioName.NONE).window(*BEFORE_ONSET))


def test_the_day_before_the_onset_is_ok_in_every_seed(quiet_statuses: dict[tuple[int, int], Status]) -> None:
    assert [quiet_statuses[(seed, ONSET - 1)] for seed in SEEDS] == [Status.OK] * len(SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_covariate_drift_is_seen_on_its_first_day(seed: int, models: dict[int, Serving]) -> None:
    sim = world(seed, ScenarioName.COVARIATE_DRIFT)
    assert status_of(sim, REFERENCE_DAYS, ONSET, models[seed], quality=False) is Status.DRIFT


@pytest.mark.parametrize("seed", SEEDS)
def test_concept_drift_is_seen_as_decay_on_the_first_labelled_window(seed: int, models: dict[int, Serving]) -> None:
    # inputs do not move, so it can only be seen once the onset day's labels arrive
    sim = world(seed, ScenarioName.CONCEPT_DRIFT)
    assert status_of(sim, REFERENCE_DAYS, ONSET, models[seed], quality=True) is Status.DECAY
