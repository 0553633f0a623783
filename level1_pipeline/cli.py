"""Command line of level 1: run the flow once, sweep hyperparameters, serve it on a schedule, trigger, roll back."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from level1_pipeline.data_gate_report import DataGateError
from level1_pipeline.outcome import Became
from level1_pipeline.warmup import training_warm_up
from shared.data.source import DataSourceError
from shared.policy_file import PolicyError
from shared.prefect_api import orchestration_ready
from shared.registry import Move, Registry, RegistryError, person
from shared.runtime import prepare_process
from shared.settings import Settings, load_settings
from shared.tracking import TrackingUnavailableError, check_reachable, connect, is_remote, lost_server

if TYPE_CHECKING:
    from level1_pipeline.outcome import TrainingOutcome
    from level1_pipeline.sweep import SweepOutcome

T = TypeVar("T")

DEPLOYMENT = "daily-training"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m level1_pipeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the training flow once (experiments use the same path)")
    run.add_argument(
        "--last-day", help="last day of the training window: YYYY-MM-DD or a day number (default: newest labelled)"
    )
    run.add_argument("--days", type=int, help="days in the training window")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="hyperparameter override")
    run.add_argument("--experiment", help="MLflow experiment name (default from settings)")
    run.add_argument("--scenario", help="simulator scenario, e.g. data_quality")
    sweep = commands.add_parser("sweep", help="trials of config/sweep_space.yaml in parallel on Dask; train the best")
    sweep.add_argument(
        "--last-day", help="last day of the window: YYYY-MM-DD or a day number (default: newest labelled)"
    )
    sweep.add_argument("--days", type=int, help="days in the window")
    serve = commands.add_parser("serve", help="serve the flow as a Prefect deployment on a cron schedule")
    serve.add_argument("--cron", default="0 6 * * *", help="cron schedule (default daily at 06:00)")
    commands.add_parser("trigger", help="trigger one run of the served deployment")
    commands.add_parser("rollback", help="point `champion` back at `previous`")
    for verb, meaning in (("approve", "promote"), ("reject", "keep out")):
        decide = commands.add_parser(verb, help=f"sign-off: {meaning} a version that waits for approval")
        decide.add_argument("--version", required=True, help="the version waiting (its flow run is paused)")
        decide.add_argument("--reason", required=True, help="why: kept on the version")
        decide.add_argument("--approver", help="who decides (default: GITHUB_ACTOR or your login name)")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if getattr(args, "experiment", None):
        found["experiment_name"] = args.experiment
    if getattr(args, "scenario", None):
        found["scenario"] = args.scenario
    return found


def _gated_flow(settings: Settings, run: Callable[[], T], nothing_done: str) -> T | int:
    """Run a training flow as the commands do: tracking server checked first (seconds, not a Prefect start-up),
    then Prefect's API and the warm-up side by side; a failed data gate is exit 3 with its report."""
    check_reachable(settings)
    with orchestration_ready(training_warm_up(settings)):
        try:
            return run()
        except DataGateError as failed:
            print(failed.report.summary(), file=sys.stderr)
            print(f"(thresholds: {settings.training_policy_file})", file=sys.stderr)
            print(f"{nothing_done}; the champion is unchanged.", file=sys.stderr)
            return 3


def run_once(args: argparse.Namespace, settings: Settings) -> int:
    params = parse_param_overrides(args.param)

    def train() -> TrainingOutcome:
        from level1_pipeline.flow import training_flow

        return training_flow(last_day=args.last_day, days=args.days, params=params, settings_overrides=_overrides(args))

    outcome = _gated_flow(settings, train, "Nothing was trained")
    if isinstance(outcome, int):
        return outcome
    _print_outcome(outcome, settings)
    return 0


def sweep_once(args: argparse.Namespace, settings: Settings) -> int:
    def sweep() -> SweepOutcome:
        from level1_pipeline.sweep import sweep_flow

        return sweep_flow(last_day=args.last_day, days=args.days)

    outcome = _gated_flow(settings, sweep, "No trial was run")
    if isinstance(outcome, int):
        return outcome
    print(f"\nSweep {outcome.run_id} on {outcome.window}: {len(outcome.trials)} trials, by validation ROC AUC")
    for trial in outcome.trials:
        score = f"{trial.score:.4f}" if trial.score is not None else "FAILED"
        params = ", ".join(f"{k}={v}" for k, v in trial.params.items())
        mark = "*" if trial is outcome.best else " "
        print(f"  {mark} trial {trial.number:>2}  {score:>7}  {params}  {trial.error or ''}")
    print(f"best trial -> {outcome.reason}" if outcome.best else outcome.reason)
    if outcome.training is not None:
        _print_outcome(outcome.training, settings)
    return 0


def _print_outcome(outcome: TrainingOutcome, settings: Settings) -> None:
    verdict = "PROMOTED to champion" if outcome.promoted else "registered but NOT promoted"
    if outcome.became is Became.CHALLENGER:
        verdict = f"CHALLENGER of champion version {outcome.champion_version} (tested on live traffic first)"
    print(f"\nLevel 1 run {outcome.run_id}: data {outcome.window}")
    for note in outcome.notes:
        print(f"  note: {note}")
    print(f"  model version {outcome.version}: {verdict}")
    for reason in outcome.gate_reasons:
        print(f"  gate: {reason}")
    print(f"  holdout ROC AUC {outcome.metrics['roc_auc']:.4f}, F1 {outcome.metrics['f1']:.4f}")
    print(f"  champion now: version {outcome.champion_version} (previous: {outcome.previous_version})")
    print("\nLook at it:")
    uri = settings.resolved_tracking_uri
    if is_remote(uri):
        print(f"  MLflow: {uri}")
    else:
        print(f"  .venv/bin/mlflow ui --backend-store-uri {uri} --host 127.0.0.1 --port 5000")
    if os.environ.get("PREFECT_API_URL"):
        print(f"  Prefect: {os.environ['PREFECT_API_URL'].removesuffix('/api')}")
    else:
        print(f"  PREFECT_HOME={settings.state_path / 'prefect'} .venv/bin/prefect server start --host 127.0.0.1")


def serve(cron: str) -> int:
    from level1_pipeline.flow import training_flow

    training_flow.serve(name=DEPLOYMENT, cron=cron)  # each run: the newest fully labelled window
    return 0


def trigger() -> int:
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    flow_run = run_deployment(f"level1-training/{DEPLOYMENT}", timeout=0)
    assert isinstance(flow_run, FlowRun)  # called from sync code: not a coroutine
    print(f"triggered flow run {flow_run.name} ({flow_run.id}) of level1-training/{DEPLOYMENT}")
    return 0


def rollback(settings: Settings) -> int:
    connect(settings)
    move = Move(f"{person()} (make level1-rollback)", "rolled back by hand")
    print(f"champion is now version {Registry(settings.model_name).rollback(move)}")
    return 0


def sign_off(settings: Settings, args: argparse.Namespace) -> int:
    """Resume the paused training run of ``--version`` with the decision; print what it then did."""
    from level1_pipeline.sign_off import APPROVAL_API_TAG, APPROVAL_RUN_TAG, APPROVAL_TAG

    connect(settings)
    registry = Registry(settings.model_name)
    tags = registry.version(args.version).tags
    if tags.get(APPROVAL_TAG) != "pending":
        state = tags.get(APPROVAL_TAG, "never asked")
        raise RegistryError(f"version {args.version} is not waiting for sign-off (approval: {state})")

    from prefect.flow_runs import resume_flow_run
    from prefect.settings import PREFECT_API_URL, temporary_settings

    decision = {"approve": args.command == "approve", "reason": args.reason, "approver": args.approver or person()}
    api = os.environ.get("PREFECT_API_URL") or tags[APPROVAL_API_TAG]  # the run's own API unless told otherwise
    with temporary_settings({PREFECT_API_URL: api}):
        resume_flow_run(UUID(tags[APPROVAL_RUN_TAG]), run_input=decision)
    deadline = time.monotonic() + 120
    while (now := registry.version(args.version).tags.get(APPROVAL_TAG)) == "pending":
        if time.monotonic() > deadline:
            print(f"sent; the paused run has not answered yet (flow run {tags[APPROVAL_RUN_TAG]})")
            return 1
        time.sleep(1)
    print(f"version {args.version}: {now} by {decision['approver']}; champion is version {registry.champion_number()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    try:
        settings = load_settings(**_overrides(args))
    except ValueError as error:  # a setting that breaks a rule, named with its layer
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        prepare_process(settings)
        return _command(args, settings)
    except (TrackingUnavailableError, PolicyError, RegistryError, DataSourceError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        server = lost_server(error, settings)
        if server is None:
            raise
        print(f"error: lost {server} during `{args.command}`.", file=sys.stderr)
        print(
            "Nothing was promoted after the loss; a version that passed its gates stays `release: pending` "
            "and the next run marks and reports it. Check the server (make stack-status), then run again.",
            file=sys.stderr,
        )
        return 2


def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        return run_once(args, settings)
    if args.command == "sweep":
        return sweep_once(args, settings)
    if args.command == "serve":
        return serve(args.cron)
    if args.command == "trigger":
        return trigger()
    if args.command in ("approve", "reject"):
        return sign_off(settings, args)
    return rollback(settings)


def parse_param_overrides(pairs: list[str]) -> dict[str, Any]:
    """``["max_depth=3", "learning_rate=0.1"]`` -> validated hyperparameter overrides."""
    from shared.model import ModelParams  # the recipe's imports start after the Prefect API, not before

    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param {pair!r}: expected NAME=VALUE")
        overrides[key.strip()] = value.strip()
    known = set(ModelParams.model_fields)
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return ModelParams.model_validate(overrides).model_dump(include=set(overrides))
