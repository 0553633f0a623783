"""Pure comparison logic: per-day quality records into the per-level table."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

HUMAN_STEPS = {
    "level 0": "2 per model (run the notebook, hand the file over); none was taken after drift",
    "level 1": "0 (the schedule retrains; gates promote)",
    "level 2": "0 (the monitor retrains; gates promote)",
    "level 2 + A/B": "0 (the monitor retrains; a live A/B test promotes)",
    "level 2 + shadow": "0 (the monitor retrains; a live shadow test promotes)",
}


@dataclass(frozen=True)
class LevelSummary:
    level: str
    mean_auc: float
    worst_auc: float
    days_below_floor: int
    retrainings: int
    promotions: int
    human_steps: str
    recovery_days: int | None  # days from the drift onset until quality is back above the floor for good


def recovery_days(daily: pd.DataFrame, onset: int, floor: float) -> int | None:
    """Days from ``onset`` to the first day from which every later day is at or above ``floor``.

    0 when quality never fell below the floor after the onset; None when it never came back.
    """
    after = daily[daily["day"] >= onset].sort_values("day")
    below = after[after["auc"] < floor]
    if below.empty:
        return 0
    last_bad = int(below["day"].max())
    if last_bad == int(after["day"].max()):
        return None
    return last_bad + 1 - onset


def summarise(daily: pd.DataFrame, onset: int, floor: float) -> list[LevelSummary]:
    """One row per level from records with columns level, day, auc, retrained, promoted."""
    rows = []
    for level, group in daily.groupby("level", sort=True):
        rows.append(
            LevelSummary(
                level=str(level),
                mean_auc=float(group["auc"].mean()),
                worst_auc=float(group["auc"].min()),
                days_below_floor=int((group["auc"] < floor).sum()),
                retrainings=int(group["retrained"].sum()),
                promotions=int(group["promoted"].sum()),
                human_steps=HUMAN_STEPS.get(str(level), "?"),
                recovery_days=recovery_days(group, onset, floor),
            )
        )
    return rows
