"""`make compare`: one simulated world lived three times, by level 0, level 1 and level 2.

Each level runs its own code: the level 0 notebook and its hand-off scoring, the level 1
training flow on a schedule, the level 2 service + monitor + automated retraining. Tracking and
orchestration state go to a throw-away folder, so your own registry is untouched. Daily quality
is the ROC AUC, on that day's rows, of the model that served that day.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from rich.progress import Progress
from sklearn.metrics import roc_auc_score

from level1_pipeline.policy import load_training_policy
from level1_pipeline.warmup import training_warm_up
from level2_cicd.loop import RELEASE_CHUNK, release_policies, run_loop
from level2_cicd.traffic import CHUNK
from shared.data.source import source_from
from shared.prediction_log import read_log
from shared.prefect_api import orchestration_ready
from shared.registry import Registry
from shared.release_policy import Action
from shared.runtime import prepare_process
from shared.schema import LABEL_COLUMN
from shared.settings import Settings, load_settings
from shared.settings_environment import as_environment
from workshop.report import table, write_chart, write_report
from workshop.summary import summarise

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from shared.registry import Registry

Tick = Callable[[str], None]


_DEFAULTS = Settings.model_fields


@dataclass(frozen=True)
class World:
    scenario: str = "concept_drift"
    seed: int = _DEFAULTS["seed"].default  # the settings' own defaults: `make compare` lives in `make level2`'s world
    first_day: int = 21
    days: int = 60
    onset: int = 51
    rows_per_day: int = _DEFAULTS["rows_per_day"].default
    train_days: int = _DEFAULTS["train_days"].default
    retrain_every: int = 7
    label_delay_days: int = _DEFAULTS["label_delay_days"].default

    @property
    def last_day(self) -> int:
        return self.first_day + self.days - 1

    def overrides(self, state_dir: Path) -> dict[str, Any]:
        return {
            "state_dir": str(state_dir),
            "seed": self.seed,
            "rows_per_day": self.rows_per_day,
            "train_days": self.train_days,
            "scenario": self.scenario,
            "scenario_start_day": self.onset,
            "label_delay_days": self.label_delay_days,
            "last_day": self.first_day - 1,
            "retrain_data_source": "prediction_log",  # level 2 learns from what its service logged
            "monitoring_dashboard": False,  # the comparison draws its own chart
        }

    def day(self, state_dir: Path) -> Callable[[int], pd.DataFrame]:
        """One simulated day's rows, through the same data-source interface the levels use."""
        source = source_from(Settings(**self.overrides(state_dir)))
        return lambda day: source.rows(source.calendar.date_of(day), source.calendar.date_of(day))


def _record(level: str, day: int, auc: float, retrained: bool = False, promoted: bool = False) -> dict[str, Any]:
    return {"level": level, "day": day, "auc": auc, "retrained": retrained, "promoted": promoted}


def live_level0(world: World, state: Path, tick: Tick) -> list[dict[str, Any]]:
    """The notebook trains once; its hand-off file scores every day's CSV, never retrained."""
    from level0_manual.score_csv import score_file

    env = {**os.environ} | as_environment(Settings(**world.overrides(state)))
    subprocess.run([sys.executable, "-m", "level0_manual.notebook"], env=env, check=True, capture_output=True)
    model = state / "level0" / "handoff" / "model.joblib"
    records = []
    day_rows = world.day(state)
    for day in range(world.first_day, world.last_day + 1):
        frame = day_rows(day)
        source, scored = state / "day.csv", state / "scored.csv"
        frame.drop(columns=[LABEL_COLUMN]).to_csv(source, index=False)
        score_file(model, source, scored)
        records.append(
            _record("level 0", day, float(roc_auc_score(frame[LABEL_COLUMN], pd.read_csv(scored)["probability"])))
        )
        tick("level 0")
    return records


def live_level1(world: World, state: Path, tick: Tick) -> list[dict[str, Any]]:
    """The training flow runs every ``retrain_every`` days on the newest labelled window, blind to drift."""
    from level1_pipeline.flow import training_flow
    from shared.model import predict_proba

    overrides = world.overrides(state)
    training_flow(settings_overrides=overrides)
    registry = Registry(Settings(**overrides).model_name)
    champion = _champion_model(registry)
    records, day_rows = [], world.day(state)
    for day in range(world.first_day, world.last_day + 1):
        retrained = promoted = False
        if day > world.first_day and (day - world.first_day) % world.retrain_every == 0:
            outcome = training_flow(last_day=day - world.label_delay_days - 1, settings_overrides=overrides)
            retrained, promoted = True, outcome.promoted
            champion = _champion_model(registry) if promoted else champion
        frame = day_rows(day)
        auc = float(roc_auc_score(frame[LABEL_COLUMN], predict_proba(champion, frame)))
        records.append(_record("level 1", day, auc, retrained, promoted))
        tick("level 1")
    return records


def _champion_model(registry: Registry) -> Pipeline:
    champion = registry.champion()
    if champion is None:
        raise RuntimeError(f"no champion of {registry.name!r} after level 1's first training")
    return registry.load(champion)


def live_level2(world: World, state: Path, tick: Tick, release: str | None = None) -> list[dict[str, Any]]:
    """The service serves every request; the monitor decides when to retrain (with cooldown).

    With ``release`` (ab or shadow) a retrained model is a challenger first: the monitor promotes it
    only after its live test. The day's AUC is that of the answers customers got.
    """
    name = LEVEL2_WITH.get(release or "", "level 2")
    overrides = world.overrides(state)
    if release:
        overrides |= release_policies(Settings(**overrides), release)
    chunk = RELEASE_CHUNK if release else CHUNK
    result = run_loop(
        Settings(**overrides), overrides, world.first_day, world.days, on_day=lambda _: tick(name), chunk=chunk
    )
    engine = sa.create_engine(result.store_url)
    log = read_log(engine)[["request_id", "probability"]]
    engine.dispose()
    truth = pd.DataFrame(
        [(rid, day, label) for rid, (day, label) in result.truth.items()], columns=["request_id", "day", "y"]
    )
    served = truth.merge(log, on="request_id", how="inner")
    # a retraining (or a live test's promotion) decided at the end of day d serves from day d + 1
    retrained = {r.day + 1 for r in result.timeline if r.retrained}
    promoted = {r.day + 1 for r in result.timeline if (r.retrained and r.promoted) or r.live_action is Action.PROMOTE}
    records = []
    for day in sorted(served["day"].unique().tolist()):
        group = served[served["day"] == day]
        auc = float(roc_auc_score(group["y"], group["probability"]))
        records.append(_record(name, day, auc, day in retrained, day in promoted))
    return records


LEVEL2_WITH = {"ab": "level 2 + A/B", "shadow": "level 2 + shadow"}


def compare(
    world: World, out: Path, scratch: Path, show_progress: bool = True, release: str | None = None
) -> pd.DataFrame:
    """Live the world three times (four with ``release``); write daily.csv, quality.png and report.md into ``out``."""
    settings = load_settings(**world.overrides(scratch / "orchestration"))
    prepare_process(settings)
    records: list[dict[str, Any]] = []
    with (
        orchestration_ready(training_warm_up(settings)),
        Progress(disable=not show_progress, transient=True) as progress,
    ):
        bar = progress.add_task("living the world", total=(4 if release else 3) * world.days)

        def tick(level: str) -> None:
            progress.update(bar, advance=1, description=f"living the world: {level}")

        records += live_level0(world, scratch / "level0", tick)
        records += live_level1(world, scratch / "level1", tick)
        records += live_level2(world, scratch / "level2", tick)
        if release:
            records += live_level2(world, scratch / f"level2-{release}", tick, release)
    daily = pd.DataFrame(records)
    floor = quality_floor()
    out.mkdir(parents=True, exist_ok=True)
    daily.to_csv(out / "daily.csv", index=False)
    chart = write_chart(daily, world.onset, floor, out / "quality.png")
    description = (
        f"Scenario `{world.scenario}` from day {world.onset}, seed {world.seed}, days {world.first_day}-"
        f"{world.last_day}, {world.rows_per_day} rows a day, labels {world.label_delay_days} days late; "
        f"level 1 retrains every {world.retrain_every} days; quality floor {floor:.2f} (the training gate's)."
    )
    write_report(summarise(daily, world.onset, floor), description, chart, out / "report.md")
    (out / "world.json").write_text(pd.Series(asdict(world)).to_json(indent=2))
    return daily


def quality_floor() -> float:
    return load_training_policy(load_settings().training_policy_file).model_gate.min_roc_auc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop.compare", description=__doc__)
    parser.add_argument("--scenario", default="concept_drift")
    parser.add_argument("--days", type=int, help="simulated days of live traffic (default 60; quick 20)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--onset", type=int, help="first day of the scenario (default: halfway)")
    parser.add_argument("--retrain-every", type=int, default=7, help="level 1's schedule, in days")
    parser.add_argument("--quick", action="store_true", help="a workshop-sized run: fewer days and rows")
    parser.add_argument("--out", type=Path, help="output folder (default state/compare/<time>)")
    parser.add_argument(
        "--release",
        choices=["ab", "shadow"],
        help="a fourth line: level 2 whose retrained models are tested live first",
    )
    args = parser.parse_args(argv)
    days = args.days or (20 if args.quick else 60)
    world = World(
        scenario=args.scenario,
        seed=args.seed,
        days=days,
        onset=args.onset or 21 + (6 if args.quick else days // 2),
        rows_per_day=600 if args.quick else 2000,
        retrain_every=args.retrain_every,
    )
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # the timeline is the output; flows log to Prefect
    out = args.out or load_settings().state_path / "compare" / datetime.now().strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory(prefix="mlops-compare-") as scratch:
        daily = compare(world, out, Path(scratch), release=args.release)

    print(table(summarise(daily, world.onset, quality_floor())))
    print(f"\nReport: {out / 'report.md'}  Chart: {out / 'quality.png'}")
    return 0


if __name__ == "__main__":
    from shared.runtime import exit_quickly

    exit_quickly(main())
