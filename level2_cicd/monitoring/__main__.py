"""`python -m level2_cicd.monitoring`: monitor one window now, or serve the monitor on a schedule."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from level2_cicd.monitoring.dashboard import workspace_folder
from level2_cicd.monitoring.history import MonitoringHistory, Retraining
from shared.data.source import resolve_day, source_from
from shared.prefect_api import orchestration_ready
from shared.processes import taken_port_error
from shared.runtime import prepare_process
from shared.settings import Settings, load_settings
from shared.tracking import connect

DEPLOYMENT = "daily-monitoring"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m level2_cicd.monitoring", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="monitor one window (default: today's) and retrain if the policy says so")
    run.add_argument("--day", help="day to monitor: YYYY-MM-DD or a day number of the source (default: its today)")
    serve = commands.add_parser("serve", help="serve the monitoring flow as a Prefect deployment on a cron schedule")
    serve.add_argument("--cron", default="30 6 * * *", help="cron schedule (default daily at 06:30)")
    retrain = commands.add_parser(
        "retrain", help="CI's side of `retrain_by: ci`: train the dispatched window, record it"
    )
    retrain.add_argument(
        "--day", required=True, help="the monitored day whose decision asked for it (YYYY-MM-DD or a day number)"
    )
    retrain.add_argument("--last-day", required=True, help="last day of the window (YYYY-MM-DD or a day number)")
    retrain.add_argument("--days", type=int, required=True, help="days in the window")
    dashboard = commands.add_parser("dashboard", help="serve the live monitoring dashboard (Evidently UI) on 127.0.0.1")
    dashboard.add_argument("--port", type=int, default=8085, help="port on 127.0.0.1 (default 8085)")
    args = parser.parse_args(argv)
    if args.command == "dashboard" and (error := taken_port_error(args.port, "make dashboard ARGS='--port <another>'")):
        print(error, file=sys.stderr)
        return 1
    settings = load_settings()
    prepare_process(settings)
    if args.command == "dashboard":
        return serve_dashboard(settings, args.port)

    if args.command == "serve":
        from level2_cicd.monitoring.flow import monitoring_flow

        monitoring_flow.serve(name=DEPLOYMENT, cron=args.cron)
        return 0
    if args.command == "retrain":
        with orchestration_ready(lambda: _warm_up(settings)):
            return retrain_dispatched(settings, args.day, args.last_day, args.days)
    with orchestration_ready(lambda: _warm_up(settings)):
        from level2_cicd.monitoring.flow import monitoring_flow

        outcome = monitoring_flow(day=args.day)
    print(
        f"{outcome.date} (day {outcome.day} of the source): {outcome.decision.status.value} ({outcome.decision.reason})"
    )
    if outcome.retraining:
        print(outcome.retraining)
    return 0


def serve_dashboard(settings: Settings, port: int) -> int:
    """Evidently's UI over the monitor's workspace; replaces this process (Ctrl-C stops it)."""
    folder = workspace_folder(settings.state_path)
    if not folder.is_dir():
        print(f"error: no monitored window in {folder} yet: run `make level2` or `make monitor` first", file=sys.stderr)
        return 2
    from evidently.ui.workspace import Workspace

    for project in Workspace(str(folder)).list_projects():
        print(f"dashboard of {project.name}: http://127.0.0.1:{port}/projects/{project.id}")
    evidently = str(Path(sys.executable).parent / "evidently")
    command = [evidently, "ui", "--workspace", str(folder), "--host", "127.0.0.1", "--port", str(port)]
    sys.stdout.flush()
    os.execv(command[0], command)


def retrain_dispatched(settings: Settings, day: str, last_day: str, days: int) -> int:
    """Train the window the monitor chose, through the same gates, and record it in the monitor's history.

    The record replaces the monitor's "dispatched" one for that day, so the cooldown counts from it
    whichever side trained (and not at all when the data gate refused the window).
    """
    from level2_cicd.monitoring.retraining import retrain

    source = source_from(settings)
    monitored = source.calendar.day_of(resolve_day(source, day))
    done = retrain(settings, resolve_day(source, last_day), days)
    history = MonitoringHistory(settings.resolved_prediction_store_url)
    try:
        history.append(done.record(monitored, by="ci"))
    finally:
        history.close()
    print(done.explanation)
    return 3 if done.result is Retraining.REFUSED else 0


def _warm_up(settings: Settings) -> None:
    """Import the monitor (Evidently, the training flow it may call) and open the tracking store."""
    import level2_cicd.monitoring.flow  # noqa: F401

    connect(settings)


if __name__ == "__main__":
    from shared.runtime import exit_quickly

    exit_quickly(main())
