"""`make level2`: the whole level on embedded defaults, watched from a terminal.

Train an initial champion -> start the service (a real uvicorn process) -> replay simulated days
of traffic through HTTP (labels arriving after their delay) -> run the monitor each day -> let it
retrain -> watch the service switch versions. Every process started here is stopped on exit,
also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from rich.progress import Progress

from level1_pipeline.outcome import Became
from level1_pipeline.policy import load_training_policy
from level1_pipeline.warmup import training_warm_up
from level2_cicd.timeline import HEADER, DayRecord, day_record, format_row
from level2_cicd.traffic import CHUNK, Traffic, wait_for_version
from shared.data.source import SimulatorSource, resolve_day, source_from
from shared.policy_file import changed, write_policy
from shared.prefect_api import orchestration_ready
from shared.processes import free_port, running_server
from shared.registry import Registry
from shared.release_policy import load_release_policy
from shared.runtime import prepare_process
from shared.settings import Settings, load_settings
from shared.settings_environment import as_environment


def service_env(settings: Settings) -> dict[str, str]:
    """The environment that gives the service process the same settings as this one (and a quick eye on the alias)."""
    resolved = {"tracking_uri": settings.resolved_tracking_uri, "state_dir": settings.state_path}
    return {**os.environ, **as_environment(settings.model_copy(update=resolved | {"model_poll_seconds": 0.5}))}


@dataclass(frozen=True)
class LoopResult:
    timeline: list[DayRecord]
    truth: dict[str, tuple[int, int]]  # request id -> (day, true label)
    store_url: str


def run_loop(
    settings: Settings,
    overrides: dict[str, Any],
    first_day: int,
    days: int,
    retrain_params: dict[str, Any] | None = None,
    on_day: Callable[[DayRecord], None] | None = None,
    chunk: int = CHUNK,
) -> LoopResult:
    """Live ``days`` simulated days from ``first_day`` with the service and the monitor."""
    from level1_pipeline.flow import training_flow
    from level2_cicd.monitoring.flow import monitoring_flow

    initial = training_flow(last_day=first_day - 1, settings_overrides=overrides)
    print(f"initial champion: version {initial.champion_version} (trained on {initial.window})")
    port = free_port()
    command = [sys.executable, "-m", "level2_cicd.service", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    timeline: list[DayRecord] = []
    with (
        running_server(command, service_env(settings), f"{base}/ready", quiet=True),
        httpx.Client(base_url=base, timeout=60) as client,
        Progress(transient=True, disable=on_day is not None) as progress,
    ):
        print(f"service: {base} (during the run, from another terminal: curl -s {base}/model)", flush=True)
        if on_day is None:
            print(HEADER)
        traffic = Traffic(client, source_from(settings), settings.label_delay_days, settings, chunk)
        bar = progress.add_task("simulated days", total=days)
        for day in range(first_day, first_day + days):
            rows = traffic.send_day(day)  # /predict and /feedback answer once their rows are stored:
            traffic.release_labels(day)  # the monitor reads all of them, no waiting
            outcome = monitoring_flow(day=day, settings_overrides=overrides, retrain_params=retrain_params)
            served = wait_for_version(client, outcome.champion_after) if outcome.champion_after else "-"
            if (
                outcome.became is Became.CHALLENGER and outcome.new_version
            ):  # tomorrow's traffic meets it from the start
                wait_for_version(client, outcome.new_version, role="challenger")
            timeline.append(day_record(outcome, rows, served))
            if on_day is None:
                progress.console.print(format_row(timeline[-1]), soft_wrap=True, highlight=False)
                progress.advance(bar)
            else:
                on_day(timeline[-1])
    return LoopResult(timeline, traffic.truth, settings.resolved_prediction_store_url)


RELEASE_CHUNK = 25  # rows per request under a live test: many customers (routing keys) a day, not four


def release_policies(settings: Settings, mode: str) -> dict[str, str]:
    """The project's policies where a retrained model becomes a challenger tested live in ``mode``: read and changed
    as typed policies, written as the files the demo's flows and service read (policies are read by path)."""
    shipped = load_training_policy(settings.training_policy_file)
    training = changed(shipped, release=changed(shipped.release, candidate_becomes="challenger"))
    release = changed(load_release_policy(settings.release_policy_file), mode=mode)  # an unknown mode fails here
    folder = settings.state_path / "level2-policies"
    folder.mkdir(parents=True, exist_ok=True)
    written = {
        "training_policy_file": write_policy(training, folder / "training_policy.yaml"),
        "release_policy_file": write_policy(release, folder / f"release_{mode}.yaml"),
    }
    return {key: str(path) for key, path in written.items()}


# The demo has its own registered model (it never moves level 1's champion) and its own level 2 folder (it never
# touches the log and reports of your own `make serve` / `make replay` / `make monitor` in state/level2).
MODEL_SUFFIX = "-level2"
DEMO_FOLDER = "level2-demo"
MADE_BY_THE_DEMO = ".made-by-make-level2"  # a fresh start removes a folder only when the demo made it


class NotTheDemosError(RuntimeError):
    """The demo's folder holds something the demo did not make: it is left alone, and the demo stops."""


def fresh_state(settings: Settings) -> str:
    """Remove what an earlier run of the demo left (its level 2 folder, its registered model), nothing else."""
    folder = settings.level2_dir
    if folder.exists() and not (folder / MADE_BY_THE_DEMO).is_file():
        raise NotTheDemosError(f"{folder} was not made by `make level2`: move it away (nothing was removed)")
    shutil.rmtree(folder, ignore_errors=True)
    Registry(settings.model_name).delete()  # none yet on a first run
    folder.mkdir(parents=True)
    (folder / MADE_BY_THE_DEMO).write_text("made by `make level2` (its fresh start removes this folder)\n")
    return f"fresh level 2 demo state: removed {folder} and model {settings.model_name!r} (--continue keeps them)"


def day_number(settings: Settings, value: str) -> int:
    """A day of the simulator's calendar from a date (YYYY-MM-DD) or a day number."""
    source = SimulatorSource(settings)
    return source.calendar.day_of(resolve_day(source, value))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m level2_cicd.loop", description=__doc__)
    parser.add_argument("--scenario", default="concept_drift", help="simulator scenario (default concept_drift)")
    parser.add_argument("--onset", default="33", help="first day of the scenario (YYYY-MM-DD or a day number)")
    parser.add_argument(
        "--first-day", default="28", help="first day of live traffic (YYYY-MM-DD or a day number of the simulator)"
    )
    parser.add_argument("--days", type=int, default=18, help="simulated days of traffic")
    parser.add_argument(
        "--release",
        choices=["ab", "shadow"],
        help="retrained models become challengers tested live (A/B or shadow, config/release_policy.yaml) first",
    )
    parser.add_argument(
        "--continue",
        dest="keep",
        action="store_true",
        help="keep the previous run's level 2 state instead of a fresh one",
    )
    args = parser.parse_args(argv)
    base = load_settings()
    onset, first_day = (day_number(base, value) for value in (args.onset, args.first_day))
    overrides = {
        "scenario": args.scenario,
        "scenario_start_day": onset,
        "model_name": base.model_name + MODEL_SUFFIX,
        "level2_folder": DEMO_FOLDER,  # and its own log there, even when your shell points at a stack's
        "prediction_store_url": f"sqlite:///{base.state_path / DEMO_FOLDER / 'predictions.db'}",
        "retrain_data_source": base.retrain_data_source or "prediction_log",  # learn from what the service saw
    }
    if args.release:
        overrides |= release_policies(base, args.release)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # the timeline is the output; flows log to Prefect
    settings = load_settings(**overrides)
    prepare_process(settings)
    started = datetime.now()
    print(f"level 2 loop: {args.days} days from day {first_day}, {args.scenario} from day {onset}")
    with orchestration_ready(training_warm_up(settings)):
        if not args.keep:
            try:
                print(fresh_state(settings))
            except NotTheDemosError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
        chunk = RELEASE_CHUNK if args.release else CHUNK
        timeline = run_loop(settings, overrides, first_day, args.days, chunk=chunk).timeline
    retrainings = [r for r in timeline if r.retrained]
    print(f"\n{len(retrainings)} automated retraining(s); now serving v{timeline[-1].served_version}.")
    print(f"Reports: {settings.level2_dir / 'reports'}  ({(datetime.now() - started).seconds} s)")
    print(f"Dashboard: make dashboard (Evidently UI of these windows: project {settings.model_name})")
    return 0


if __name__ == "__main__":
    from shared.runtime import exit_quickly

    exit_quickly(main())
