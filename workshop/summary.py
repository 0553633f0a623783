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


# What judges a release at each level (the gate's check names are those its runs tag as `gate.<name>`).
GATE_CHECKS = ("finite_scores", "floor", "vs_champion", "vs_baseline", "slices", "inclusion", "behaviour")
RELEASE_CHECKS = {
    "level 0": "none: a person reads one metric and hands the file over",
    "level 1": "the data gate (the schema's rules, volume, nulls), then the model gate: " + ", ".join(GATE_CHECKS),
    "level 2": "level 1's gates on every retraining; live: quality against the floor and the version's own holdout, "
    "drift weighted by reliance, broken data, training-serving skew; optionally an A/B or shadow test",
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
    recovery_days: int | None  # days from the drift onset until quality is back above the floor (RECOVERED_FOR days)


RECOVERED_FOR = 3  # days in a row at or above the floor that count as recovered (fewer when the run ends first)


def recovery_days(daily: pd.DataFrame, onset: int, floor: float) -> int | None:
    """Days from ``onset`` to the first day, after quality first fell below ``floor``, that starts ``RECOVERED_FOR``
    days in a row at or above it: where the chart shows the line back above the floor (a later one-day dip is
    noise, not a relapse). 0 when quality never fell below the floor after the onset; None when it never came back.
    """
    after = daily[daily["day"] >= onset].sort_values("day").reset_index(drop=True)
    good = (after["auc"] >= floor).tolist()
    if all(good):
        return 0
    for start in range(good.index(False) + 1, len(good)):
        if all(good[start : start + RECOVERED_FOR]):
            return int(after["day"][start]) - onset
    return None


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
