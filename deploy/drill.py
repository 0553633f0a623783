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

Needs the stack's receiver (no ``alert_webhook_url``: the drill reads what arrived) and Alertmanager installed.
A drill disturbs the stack it runs on (the hang drills send a made-up row to /predict every 2 s, stored in the
service's log once the database continues): run it on a stack you may disturb, not one that serves customers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy.alert_receiver import read_received
from deploy.processes import process_tree, stopped
from deploy.stack import supervisor_status
from deploy.topology import ROOT, Stack, StackError, alertmanager_binary
from deploy.wait import ready

TRICKLE_SECONDS = 2.0  # one prediction this often while the database hangs: a write must be waiting


class DrillError(RuntimeError):
    """The drill could not run, or its alert did not arrive in time: the message says which."""


@dataclass(frozen=True)
class Drill:
    alert: str
    inject: Callable[[Stack], None]
    recover: Callable[[Stack], None]
    timeout: float  # the longest each side may take: the rule's `for` plus evaluation, grouping and sending
    long: bool = False  # its rule waits 5 minutes or more: `make drill` and the scheduled drills job, not the walks


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


def _supervisorctl(stack: Stack, *args: str) -> None:
    command = [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(stack.folder / "supervisord.conf")]
    subprocess.run([*command, *args], check=True, capture_output=True, timeout=120)


def _training(stack: Stack, extra: dict[str, str]) -> None:
    """A level 1 run against the stack, on the drill's own registered model; its failure is the drill's fault."""
    from shared.settings import load_settings

    model = f"{load_settings().model_name}-drill"
    env = os.environ | stack.client_env() | {"MLOPS_MODEL_NAME": model, "MLOPS_DATA_SOURCE": "synthetic"} | extra
    command = [sys.executable, "-m", "level1_pipeline", "run"]
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=600)


def _program_pid(stack: Stack, program: str) -> int:
    """The running program's process id, which is its process group's (supervisord starts each in its own)."""
    for line in supervisor_status(stack.folder).splitlines():
        name, _, rest = line.partition(" ")
        if name == program and " RUNNING " in f" {rest.strip()} " and "pid " in rest:
            return int(rest.split("pid ", 1)[1].split(",", 1)[0])
    raise DrillError(f"{program} is not running on the stack: make stack-status")


class HungDatabase:
    """PostgreSQL's processes stopped (not killed: their sockets stay open, so a client waits with no error), with a
    prediction every ``TRICKLE_SECONDS`` reaching the service so that a log write waits on it."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._trickle: threading.Thread | None = None

    def inject(self, stack: Stack) -> None:
        import httpx

        answer = httpx.get(f"{stack.service_url}/ready", timeout=10)
        if answer.status_code != 200:  # no model: /predict answers 503 at once, no write waits on the database
            raise DrillError(f"the service is not ready ({answer.text}): a hang drill needs it serving a champion")
        server = _program_pid(stack, "postgres")
        os.kill(server, signal.SIGSTOP)  # first: stopped, it starts no new backend while they are stopped
        for pid in process_tree(server):
            os.kill(pid, signal.SIGSTOP)
        self._stop.clear()
        self._trickle = threading.Thread(target=self._predict_until_stopped, args=(stack,), daemon=True)
        self._trickle.start()

    def recover(self, stack: Stack) -> None:
        self._stop.set()
        tree = process_tree(_program_pid(stack, "postgres"))
        for _ in range(50):  # runuser stops itself again when it sees its child stopped: until none is (bounded)
            for pid in stopped(tree):
                os.kill(pid, signal.SIGCONT)
            time.sleep(0.1)
            if not stopped(tree):
                break
        else:
            raise DrillError(f"PostgreSQL's processes {stopped(tree)} stay stopped: kill -CONT them")
        if self._trickle is not None:
            self._trickle.join(timeout=60)

    def _predict_until_stopped(self, stack: Stack) -> None:
        import httpx

        from level2_cicd.traffic import client_records
        from shared.data.synthetic import schema_rows

        headers = {"Authorization": f"Bearer {stack.tokens()['MLOPS_SCORING_TOKEN']}"}
        body = {"rows": client_records(schema_rows(1))}
        with httpx.Client(base_url=stack.service_url, timeout=30) as client:
            while not self._stop.wait(TRICKLE_SECONDS):
                # a 503 is the point (not stored, so not acknowledged); a refused connection is the service's to say
                with contextlib.suppress(httpx.HTTPError):
                    client.post("/predict", json=body, headers=headers)


TRAINING_DEPLOYMENT = "level1-training/daily-training"
MLFLOW_START_SECONDS = 120


def _scheduled_training(stack: Stack) -> None:
    """A run of the training deployment (`make deploy`), as its schedule starts one, on the drill's own model;
    waits (bounded) for its end, whatever its state."""
    from shared.settings import load_settings

    prefect = [str(Path(sys.executable).parent / "prefect")]
    env = os.environ | stack.client_env()
    found = subprocess.run([*prefect, "deployment", "inspect", TRAINING_DEPLOYMENT], env=env, capture_output=True)
    if found.returncode != 0:
        raise DrillError(f"no deployment {TRAINING_DEPLOYMENT} on the stack: make deploy (from make stack-env)")
    overrides = {"model_name": f"{load_settings().model_name}-drill", "data_source": "synthetic"}
    command = [*prefect, "deployment", "run", TRAINING_DEPLOYMENT, "--watch", "--watch-timeout", "400"]
    command += ["--params", json.dumps({"settings_overrides": overrides})]
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=450)


def _mlflow_stopped_then_training(stack: Stack) -> None:
    _supervisorctl(stack, "stop", "mlflow")
    _scheduled_training(stack)


def _mlflow_started_then_training(stack: Stack) -> None:
    _supervisorctl(stack, "start", "mlflow")
    began = time.monotonic()
    while not ready(f"{stack.tracking_uri}/health"):  # running is not listening yet
        if time.monotonic() - began > MLFLOW_START_SECONDS:
            raise DrillError(f"MLflow did not answer within {MLFLOW_START_SECONDS} s of its start: make stack-status")
        time.sleep(0.5)
    _scheduled_training(stack)


def _hung_database(alert: str, timeout: float, long: bool = False) -> Drill:
    hung = HungDatabase()
    return Drill(alert, inject=hung.inject, recover=hung.recover, timeout=timeout, long=long)


DRILLS: dict[str, Drill] = {
    "service-down": Drill(
        "ServiceDown",
        inject=lambda stack: _supervisorctl(stack, "stop", "service"),
        recover=lambda stack: _supervisorctl(stack, "start", "service"),
        timeout=180,
    ),
    "flow-failed": Drill(
        "FlowRunFailed",
        inject=lambda stack: _training(
            stack, {"MLOPS_DATA_SOURCE": "files", "MLOPS_DATA_PATH": str(stack.folder / "no-such-data.parquet")}
        ),
        recover=lambda stack: _training(stack, {}),
        timeout=300,
    ),
    "postgres-hung": _hung_database("PredictionLogUnhealthy", timeout=240),
    "mlflow-down": Drill(
        "FlowRunFailed", inject=_mlflow_stopped_then_training, recover=_mlflow_started_then_training, timeout=600
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


def firing_already(stack: Stack, alert: str) -> bool:
    """Whether Alertmanager holds ``alert`` active now: a drill could not tell its own firing from it (Alertmanager
    sends an alert that keeps firing again only after the route's repeat interval)."""
    import httpx

    query = {"filter": f'alertname="{alert}"', "active": "true", "silenced": "false", "inhibited": "false"}
    answer = httpx.get(f"{stack.alertmanager_url}/api/v2/alerts", params=query, timeout=10)
    answer.raise_for_status()
    return bool(answer.json())


def run_drill(stack: Stack, name: str) -> DrillResult:
    """Fault, alert, recovery, resolution; the stack is recovered also when the alert never came."""
    drill = DRILLS[name]
    if firing_already(stack, drill.alert):
        raise DrillError(f"{drill.alert} is firing already: resolve it first (docs/runbooks/{drill.alert}.md)")
    seen = len(read_received(stack.alerts_file))
    began = time.monotonic()
    try:
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
    from datetime import date

    from bench.report import machine

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
    import httpx

    from bench.report import publish
    from deploy.stack import running, stack_folder
    from shared.settings import load_settings

    parser = argparse.ArgumentParser(prog="make drill", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", choices=sorted(DRILLS), metavar="NAME", help=", ".join(sorted(DRILLS)))
    parser.add_argument("--write", action="store_true", help="append the times to docs/benchmarks.md")
    args = parser.parse_args(argv)
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
