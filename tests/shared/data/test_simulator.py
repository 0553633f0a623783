import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from shared.data.scenarios import Defect, Scenario, ScenarioName
from shared.data.simulator import ChurnSimulator
from shared.schema import LABEL_COLUMN, TIME_COLUMN, find_violations

pytestmark = pytest.mark.churn  # the churn world itself; a fork with another schema deselects it

ONSET = 10


def sim(name: ScenarioName, rows: int = 2000) -> ChurnSimulator:
    return ChurnSimulator(seed=3, rows_per_day=rows, scenario=Scenario(name, ONSET))


def test_same_seed_and_day_give_identical_batches() -> None:
    # given two simulators with one seed, when both draw day 5, then the frames are equal
    pd.testing.assert_frame_equal(ChurnSimulator(seed=1).day(5), ChurnSimulator(seed=1).day(5))


def test_other_seed_or_day_gives_other_data() -> None:
    base = ChurnSimulator(seed=1).day(5)
    assert not base.equals(ChurnSimulator(seed=2).day(5))
    assert not base.equals(ChurnSimulator(seed=1).day(6))


def test_batches_are_timestamped_within_their_day() -> None:
    batch = ChurnSimulator(seed=1, rows_per_day=500).day(3)
    days = ChurnSimulator(seed=1).day_of(batch[TIME_COLUMN])
    assert (days == 3).all()
    assert batch[TIME_COLUMN].is_monotonic_increasing


def test_clean_scenarios_honour_the_schema() -> None:
    for name in (ScenarioName.NONE, ScenarioName.COVARIATE_DRIFT, ScenarioName.CONCEPT_DRIFT):
        assert find_violations(sim(name, 500).window(ONSET - 1, ONSET + 1), require_label=True) == []


@pytest.mark.parametrize("name", list(ScenarioName))
def test_no_scenario_changes_anything_before_its_start_day(name: ScenarioName) -> None:
    pd.testing.assert_frame_equal(sim(name).day(ONSET - 1), sim(ScenarioName.NONE).day(ONSET - 1))


def test_covariate_drift_moves_inputs_from_its_start_day() -> None:
    before, after = sim(ScenarioName.COVARIATE_DRIFT).day(ONSET - 1), sim(ScenarioName.COVARIATE_DRIFT).day(ONSET)
    assert ks_2samp(before["monthly_charges"], after["monthly_charges"]).pvalue < 1e-6
    assert ks_2samp(before["tenure_months"], after["tenure_months"]).pvalue < 1e-6


def churn_rate_by(frame: pd.DataFrame, column: str) -> float:
    """Churn rate of the long-tenured minus that of the new customers."""
    long = frame[frame[column] >= 36][LABEL_COLUMN].mean()
    new = frame[frame[column] <= 6][LABEL_COLUMN].mean()
    return float(long - new)


def test_concept_drift_changes_the_label_relation_but_not_the_inputs() -> None:
    world = sim(ScenarioName.CONCEPT_DRIFT)
    before, after = world.window(ONSET - 3, ONSET - 1), world.window(ONSET, ONSET + 2)
    assert ks_2samp(before["monthly_charges"], after["monthly_charges"]).pvalue > 0.01
    assert ks_2samp(before["tenure_months"], after["tenure_months"]).pvalue > 0.01
    assert churn_rate_by(before, "tenure_months") < -0.1  # loyal customers stay ...
    assert churn_rate_by(after, "tenure_months") > 0.1  # ... until a competitor's offer arrives


@pytest.mark.parametrize(
    ("defect", "column"),
    [
        (Defect.NULLS, "monthly_charges"),
        (Defect.OUT_OF_RANGE, "tenure_months"),
        (Defect.UNSEEN_CATEGORY, "payment_method"),
        (Defect.RETYPED_COLUMN, "support_calls_30d"),
        (Defect.RENAMED_COLUMN, "usage_hours_30d"),
    ],
)
def test_data_quality_defects_break_the_schema_from_the_start_day(defect: Defect, column: str) -> None:
    world = ChurnSimulator(seed=3, rows_per_day=500, scenario=Scenario(ScenarioName.DATA_QUALITY, ONSET, (defect,)))
    assert find_violations(world.day(ONSET - 1)) == []
    assert column in {v.column for v in find_violations(world.day(ONSET))}


def test_none_scenario_is_stable_over_a_year() -> None:
    world = ChurnSimulator(seed=11, rows_per_day=1000)
    daily = [world.day(d) for d in range(0, 365, 7)]
    rates = np.array([d[LABEL_COLUMN].mean() for d in daily])
    charges = np.array([d["monthly_charges"].mean() for d in daily])
    assert rates.max() - rates.min() < 0.12
    assert abs(charges[-10:].mean() - charges[:10].mean()) < 1.5
    assert ks_2samp(daily[0]["usage_hours_30d"], daily[-1]["usage_hours_30d"]).pvalue > 0.001


def test_unknown_scenario_name_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="covariate_drift"):
        Scenario.parse("sudden_doom")
