"""`make drill NAME=...`: on a running stack, cause the fault behind an alert, and time the alert both ways.

Each drill injects its fault, waits (bounded) until the alert reaches the stack's receiver, applies its runbook's
recovery, and waits until the resolution arrives too; it prints both times (fault -> firing at the receiver,
recovery -> resolved); `--write` appends them to docs/benchmarks.md.

    service-down  stop the service program (as one that cannot start) -> ServiceDown -> start it again
    flow-failed   a training run whose data file is missing -> FlowRunFailed -> a training run that completes
                  (the drill's own registered model, `<model>-drill`: your champion never moves)

Needs the stack's receiver (no ``alert_webhook_url``: the drill reads what arrived) and Alertmanager installed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy.alert_receiver import read_received
from deploy.topology import ROOT, Stack, StackError, alertmanager_binary


class DrillError(RuntimeError):
    """The drill could not run, or its alert did not arrive in time: the message says which."""


@dataclass(frozen=True)
class Drill:
    alert: str
    inject: Callable[[Stack], None]
    recover: Callable[[Stack], None]
    timeout: float  # the longest each side may take: the rule's `for` plus evaluation, grouping and sending


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


def run_drill(stack: Stack, name: str) -> DrillResult:
    """Fault, alert, recovery, resolution; the stack is recovered also when the alert never came."""
    drill = DRILLS[name]
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
            "ServiceDown's rule waits its minute (`for: 1m`); a resolution waits for the group's next send (30 s).",
            "",
            "| drill | alert | fault -> firing at the receiver | recovery -> resolved |",
            "| --- | --- | ---: | ---: |",
            *rows,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
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
    except (DrillError, StackError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    publish(report(results), args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
