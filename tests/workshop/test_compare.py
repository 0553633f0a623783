"""A short fixed-seed comparison through the three levels' real code paths."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workshop.compare import World, compare, quality_floor

# the churn world itself (a fork with another schema deselects it); lived three times: a long walk (make test-workshop)
pytestmark = [pytest.mark.churn, pytest.mark.slow, pytest.mark.walk]

WORLD = World(
    scenario="concept_drift", seed=42, first_day=10, days=16, onset=12, rows_per_day=800, train_days=10, retrain_every=5
)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, prefect_api: None) -> tuple[pd.DataFrame, Path]:
    out = tmp_path_factory.mktemp("compare-out")
    daily = compare(WORLD, out, tmp_path_factory.mktemp("compare-scratch"), show_progress=False)
    return daily, out


def per_level(daily: pd.DataFrame, level: str) -> pd.DataFrame:
    return daily[daily["level"] == level].set_index("day").sort_index()


def test_level2_recovers_after_drift_and_level0_does_not(run: tuple[pd.DataFrame, Path]) -> None:
    daily, _ = run
    floor = quality_floor()
    level0, level2 = per_level(daily, "level 0"), per_level(daily, "level 2")
    assert (level0.loc[WORLD.onset :, "auc"] < floor).all()
    assert level2["retrained"].sum() == 1
    recovered_from = int(level2.index[level2["promoted"]][0])
    assert (level2.loc[recovered_from:, "auc"] >= floor).all()


def test_level1_retrains_on_its_schedule_only(run: tuple[pd.DataFrame, Path]) -> None:
    level1 = per_level(run[0], "level 1")
    expected = [d for d in range(WORLD.first_day + 1, WORLD.last_day + 1) if (d - WORLD.first_day) % 5 == 0]
    assert level1.index[level1["retrained"]].tolist() == expected


def test_report_files_exist_and_the_table_matches_the_daily_records(run: tuple[pd.DataFrame, Path]) -> None:
    daily, out = run
    assert {p.name for p in out.iterdir()} >= {"daily.csv", "quality.png", "report.md", "world.json"}
    assert (out / "quality.png").stat().st_size > 10_000
    report = (out / "report.md").read_text()
    saved = pd.read_csv(out / "daily.csv")
    pd.testing.assert_frame_equal(saved, daily.reset_index(drop=True), check_dtype=False)
    for level, group in saved.groupby("level"):
        below = int((group["auc"] < quality_floor()).sum())
        assert f"| {level} | {group['auc'].mean():.3f} | {group['auc'].min():.3f} | {below} |" in report
