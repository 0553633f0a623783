"""`make drill NAME=...`: on a running stack, cause the fault behind an alert, and time the alert both ways.

Each drill injects its fault, waits (bounded) until the alert reaches the stack's receiver, applies its runbook's
recovery, and waits until the resolution arrives too; it prints both times (fault -> firing at the receiver,
recovery -> resolved); `--write` appends them to docs/benchmarks.md.

    service-down   stop the service program (as one that cannot start) -> ServiceDown -> start it again
    flow-failed    a training run whose data file is missing -> FlowRunFailed -> a training run that completes
                   (the drill's own registered model, `<model>-drill`: your champion never moves)
    postgres-hung  stop PostgreSQL's processes (SIGSTOP: a hung server, no error) while a prediction every 2 s
                   reaches the service -> PredictionLogUnhealthy -> continue them (SIGCONT)
    error-burst    postgres-hung held until ServiceErrorRate fires (its 503s; the rule waits 5 minutes)
    latency        postgres-hung held until ServiceLatencyP99 fires (its 10-second answers; waits 10 minutes)
    mlflow-down    stop the MLflow server, then a run of the training deployment (`make deploy`) ->
                   FlowRunFailed -> start it, a run that completes (the drill's own model). `make level1` itself
                   refuses to start with MLflow away, in 2 s, at the terminal: no run, so no alert; a schedule's
                   run fails inside the flow, whose hook alerts.
    drifted-traffic
                   a world of the drill's own (deploy/drifted_traffic.py: its project, model, service and log):
                   `make replay` of a day after the simulator's covariate drift began, `make monitor` of it ->
                   MonitorDrift -> a day from before the drift, judged ok (your champion and log untouched)

Needs the stack's receiver (no ``alert_webhook_url``: the drill reads what arrived) and Alertmanager installed.
A drill disturbs the stack it runs on (the hang drills send a made-up row to /predict every 2 s, stored in the
service's log once the database continues): run it on a stack you may disturb, not one that serves customers.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import httpx

from bench.report import machine, publish
from deploy.alert_receiver import read_received
from deploy.drifted_traffic import DriftedTraffic
from deploy.faults import (
    DrillError,
    HungDatabase,
    mlflow_started_then_training,
    mlflow_stopped_then_training,
    supervisorctl,
    training_run,
)
from deploy.stack import running, stack_folder
from deploy.topology import Stack, StackError, alertmanager_binary
from shared.alerts import active
from shared.runtime import prepare_process
from shared.settings import load_settings


@dataclass(frozen=True)
class Drill:
    alert: str
    inject: Callable[[Stack], None]
    recover: Callable[[Stack], None]
    timeout: float  # the longest each side may take: the rule's `for` plus evaluation, grouping and sending
    long: bool = False  # its rule waits 5 minutes or more: `make drill` and the scheduled drills job, not the walks
    prepare: Callable[[Stack], None] | None = None  # before the fault, untimed; ``recover`` undoes it too
    churn_world: bool = False  # its fault is the churn simulator's drift: a fork's own table has none


@dataclass(frozen=True)
class DrillResult:
    name: str
    alert: str
    fired_seconds: float
    resolved_seconds: float

    def in_words(self) -> str:
        return (
            f"drill {self.name}: {self.alert} fired at the receiver {self.fired_seconds:.0f} s after the fault, "
            f"resolved {self.resolved_seconds:.0f} s after the recovery"
        )


def _drifted_traffic(timeout: float) -> Drill:
    drifted = DriftedTraffic()
    return Drill("MonitorDrift", drifted.inject, drifted.recover, timeout, prepare=drifted.prepare, churn_world=True)


def _hung_database(alert: str, timeout: float, long: bool = False) -> Drill:
    hung = HungDatabase()
    return Drill(alert, inject=hung.inject, recover=hung.recover, timeout=timeout, long=long)


DRILLS: dict[str, Drill] = {
    "service-down": Drill(
        "ServiceDown",
        inject=lambda stack: supervisorctl(stack, "stop", "service"),
        recover=lambda stack: supervisorctl(stack, "start", "service"),
        timeout=180,
    ),
    "flow-failed": Drill(
        "FlowRunFailed",
        inject=lambda stack: training_run(
            stack, {"data_source": "files", "data_path": str(stack.folder / "no-such-data.parquet")}
        ),
        recover=lambda stack: training_run(stack, {}),
        timeout=300,
    ),
    "drifted-traffic": _drifted_traffic(timeout=600),
    "postgres-hung": _hung_database("PredictionLogUnhealthy", timeout=240),
    "mlflow-down": Drill(
        "FlowRunFailed", inject=mlflow_stopped_then_training, recover=mlflow_started_then_training, timeout=600
    ),
    # the same hang, held until the rules that wait longer fire: its 503s and its 10-second answers
    "error-burst": _hung_database("ServiceErrorRate", timeout=600, long=True),
    "latency": _hung_database("ServiceLatencyP99", timeout=900, long=True),
}


def wait_for(stack: Stack, alert: str, status: str, start: int, timeout: float) -> int:
    """Wait (bounded: a DrillError after ``timeout``) until the receiver got ``alert`` with ``status`` after line
    ``start``; returns the count of lines it had then."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        lines = read_received(stack.alerts_file)[start:]
        if any(line["alertname"] == alert and line["status"] == status for line in lines):
            return start + len(lines)
        time.sleep(0.5)
    raise DrillError(f"{alert} did not arrive {status} at the receiver within {timeout:.0f} s ({stack.alerts_file})")


def firing_already(stack: Stack, alert: str) -> str | None:
    """Why the drill could not tell its own firing of ``alert`` from an earlier one, or None: Alertmanager holds it
    active, or the receiver's last word on it is "firing" (Alertmanager's notification log, kept across restarts,
    says it was sent and never resolved: the same alert firing again is sent only after the repeat interval)."""
    if active(stack.alertmanager_url, alert, timeout=10):
        return f"{alert} is firing now: resolve it first (docs/runbooks/{alert}.md)"
    said = [line["status"] for line in read_received(stack.alerts_file) if line["alertname"] == alert]
    if said and said[-1] == "firing":
        return (
            f"{alert} was last received firing, never resolved (the stack stopped meanwhile?): Alertmanager would "
            "not send it again before its repeat interval (4 h); run the drill on a fresh stack"
        )
    return None


def run_drill(stack: Stack, name: str) -> DrillResult:
    """Fault, alert, recovery, resolution; the stack is recovered also when the alert never came."""
    drill = DRILLS[name]
    earlier = firing_already(stack, drill.alert)
    if earlier is not None:
        raise DrillError(earlier)
    seen = len(read_received(stack.alerts_file))
    try:
        if drill.prepare is not None:
            drill.prepare(stack)
        began = time.monotonic()
        drill.inject(stack)
        seen = wait_for(stack, drill.alert, "firing", seen, drill.timeout)
        fired = time.monotonic() - began
    finally:
        recovered = time.monotonic()
        drill.recover(stack)
    wait_for(stack, drill.alert, "resolved", seen, drill.timeout)
    return DrillResult(name, drill.alert, fired, time.monotonic() - recovered)


def report(results: list[DrillResult]) -> str:
    """The drills' times as a section of docs/benchmarks.md (machine and date)."""
    rows = [f"| {r.name} | {r.alert} | {r.fired_seconds:.0f} s | {r.resolved_seconds:.0f} s |" for r in results]
    return "\n".join(
        [
            f"## Drills: alerts that reach someone ({date.today()}, {machine()})",
            "",
            "`make drill` on a running stack: the fault, its alert at the stack's receiver (Prometheus evaluates",
            "every 5 s, Alertmanager sends a new group after 5 s), the runbook's recovery, the resolution.",
            "ServiceDown's and PredictionLogUnhealthy's rules wait their minute (`for: 1m`; the log is unhealthy",
            "once a write has waited `store_ack_seconds`, 10 s); a resolution waits for the group's next send (30 s).",
            "",
            "| drill | alert | fault -> firing at the receiver | recovery -> resolved |",
            "| --- | --- | ---: | ---: |",
            *rows,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make drill", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", choices=sorted(DRILLS), metavar="NAME", help=", ".join(sorted(DRILLS)))
    parser.add_argument("--write", action="store_true", help="append the times to docs/benchmarks.md")
    args = parser.parse_args(argv)
    prepare_process(load_settings())  # the project's client timeouts and retries, loopback off proxies
    stack = running(stack_folder())
    results = []
    try:
        if stack is None:
            raise StackError("the stack is not running: make stack-up")
        if alertmanager_binary() is None or load_settings().alert_webhook_url is not None:
            raise DrillError(
                "drills read the stack's receiver: install prometheus-alertmanager; unset alert_webhook_url"
            )
        for name in args.names:
            results.append(run_drill(stack, name))
            print(results[-1].in_words(), flush=True)
    except (DrillError, StackError, subprocess.CalledProcessError, httpx.HTTPError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    publish(report(results), args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
