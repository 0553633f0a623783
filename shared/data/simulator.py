"""A seeded simulator of a subscription service's customers and whether they churn.

Each day is a batch of timestamped rows, deterministic for (seed, day). Named scenarios change
the world from their start day on (see ``scenarios.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from shared.data.scenarios import Defect, Scenario, ScenarioName
from shared.schema import ID_COLUMN, LABEL_COLUMN, TIME_COLUMN

CONTRACTS = ("month-to-month", "one-year", "two-year")
PAYMENTS = ("card", "bank-transfer", "electronic-check", "mailed-check")
PLANS = ("basic", "standard", "premium")
PLAN_PRICE = {"basic": 35.0, "standard": 65.0, "premium": 105.0}
CONTRACT_EFFECT = {"month-to-month": 1.1, "one-year": -0.1, "two-year": -1.3}


@dataclass(frozen=True)
class ChurnSimulator:
    """Daily batches of churn data. ``day`` 0 is ``start_date``."""

    seed: int = 42
    rows_per_day: int = 2000
    scenario: Scenario = field(default_factory=Scenario)
    start_date: date = date(2026, 1, 1)

    def day(self, day: int) -> pd.DataFrame:
        """One day's batch: id, timestamp, features and label."""
        if day < 0:
            raise ValueError(f"day must be >= 0, got {day}")
        rng = np.random.default_rng([self.seed, day])
        drifting = self.scenario.active(day)
        covariate_drift = drifting and self._is(ScenarioName.COVARIATE_DRIFT)
        features = _draw_features(rng, self.rows_per_day, covariate_drift=covariate_drift)
        logit = _churn_logit(features, concept_drift=drifting and self._is(ScenarioName.CONCEPT_DRIFT))
        labels = (rng.random(self.rows_per_day) < 1.0 / (1.0 + np.exp(-logit))).astype("int64")
        frame = pd.DataFrame(
            {
                ID_COLUMN: [f"c{self.seed}-{day}-{i}" for i in range(self.rows_per_day)],
                TIME_COLUMN: self._timestamps(rng, day, self.rows_per_day),
                **features,
                LABEL_COLUMN: labels,
            }
        )
        if drifting and self._is(ScenarioName.DATA_QUALITY):
            frame = _inject_defects(frame, rng, self.scenario.defects)
        return frame

    def window(self, first_day: int, last_day: int) -> pd.DataFrame:
        """Days ``first_day`` to ``last_day`` inclusive, in time order."""
        if last_day < first_day:
            raise ValueError(f"empty window: last_day {last_day} < first_day {first_day}")
        return pd.concat([self.day(d) for d in range(first_day, last_day + 1)], ignore_index=True)

    def day_start(self, day: int) -> datetime:
        """Midnight at the start of simulated ``day``."""
        return datetime.combine(self.start_date + timedelta(days=day), datetime.min.time())

    def day_of(self, timestamps: pd.Series) -> pd.Series:
        """The simulator day index of each timestamp."""
        start = pd.Timestamp(self.start_date)
        return (pd.to_datetime(timestamps) - start).dt.days

    def _is(self, name: ScenarioName) -> bool:
        return self.scenario.name is name

    def _timestamps(self, rng: np.random.Generator, day: int, n: int) -> pd.Series:
        midnight = self.day_start(day)
        seconds = np.sort(rng.integers(0, 86_400, size=n))
        return pd.Series(pd.Timestamp(midnight) + pd.to_timedelta(seconds, unit="s"))


def _draw_features(rng: np.random.Generator, n: int, covariate_drift: bool) -> dict[str, np.ndarray]:
    contract_p = [0.75, 0.15, 0.10] if covariate_drift else [0.5, 0.28, 0.22]
    contract = rng.choice(CONTRACTS, size=n, p=contract_p)
    plan = rng.choice(PLANS, size=n, p=[0.45, 0.35, 0.20])
    payment = rng.choice(PAYMENTS, size=n, p=[0.35, 0.25, 0.25, 0.15])
    tenure_scale = 10.0 if covariate_drift else 24.0
    tenure = np.clip(np.round(rng.exponential(tenure_scale, size=n)), 0, 120)
    price_shift = 25.0 if covariate_drift else 0.0
    base_price = np.array([PLAN_PRICE[p] for p in plan])
    charges = np.clip(base_price + price_shift + rng.normal(0, 12, size=n), 5, 495).round(2)
    usage_scale = 25.0 if covariate_drift else 40.0
    usage = np.clip(rng.gamma(2.0, usage_scale, size=n), 0, 720).round(1)
    calls = np.clip(rng.poisson(1.2 + 0.02 * np.maximum(0, charges - 60), size=n), 0, 50)
    login = np.clip(rng.exponential(6.0, size=n), 0, 3650).round(1)
    login[rng.random(n) < 0.03] = np.nan
    return {
        "tenure_months": tenure,
        "monthly_charges": charges,
        "support_calls_30d": calls.astype("float64"),
        "usage_hours_30d": usage,
        "days_since_last_login": login,
        "contract": contract.astype(object),
        "payment_method": payment.astype(object),
        "plan": plan.astype(object),
    }


def _churn_logit(f: dict[str, np.ndarray], concept_drift: bool) -> np.ndarray:
    contract = np.array([CONTRACT_EFFECT[c] for c in f["contract"]])
    login = np.nan_to_num(f["days_since_last_login"], nan=30.0)
    tenure_effect = -0.035 * np.minimum(f["tenure_months"], 60)
    calls = f["support_calls_30d"]
    premium_frustration = 0.9 * ((f["plan"] == "premium") & (calls >= 3))
    check = 0.45 * (f["payment_method"] == "electronic-check")
    price = 0.018 * (f["monthly_charges"] - 65)
    if concept_drift:
        # A competitor's offer: long-tenured, heavy users now leave; support calls stop predicting it.
        tenure_effect = -tenure_effect
        calls = np.zeros_like(calls)
        premium_frustration = np.zeros_like(premium_frustration)
        price = -price
    return (
        -0.9
        + contract
        + tenure_effect
        + price
        + 0.32 * calls
        + premium_frustration
        + check
        + 0.05 * np.minimum(login, 40)
        - 0.006 * f["usage_hours_30d"]
    )


def _inject_defects(frame: pd.DataFrame, rng: np.random.Generator, defects: tuple[Defect, ...]) -> pd.DataFrame:
    broken = frame.copy()
    n = len(broken)
    pick = lambda share: rng.random(n) < share  # noqa: E731
    if Defect.NULLS in defects:
        broken.loc[pick(0.2), "monthly_charges"] = np.nan
    if Defect.OUT_OF_RANGE in defects:
        broken.loc[pick(0.05), "tenure_months"] = -1.0
    if Defect.UNSEEN_CATEGORY in defects:
        broken.loc[pick(0.1), "payment_method"] = "crypto"
    if Defect.RETYPED_COLUMN in defects:
        broken["support_calls_30d"] = broken["support_calls_30d"].map(lambda v: f"{int(v)} calls")
    if Defect.RENAMED_COLUMN in defects:
        broken = broken.rename(columns={"usage_hours_30d": "usage_hrs"})
    return broken
