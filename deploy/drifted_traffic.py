"""The drifted-traffic drill: a day after the world moved, through `make replay` and `make monitor`, on a world of
the drill's own.

Apart from yours: a project of its own (``<project>-drill``: its registered model, its experiment, and the
``project`` label of its alerts, so its recovery resolves only its own), trained on the churn simulator's days
before its covariate drift begins; its own service (a real uvicorn process of level 2's service on a free port)
whose prediction log and monitor memory live in a folder the drill makes under the stack's and removes; its own
monitoring policy (``deploy/drills/monitoring_policy.yaml``: alarm on the first drifting day, never retrain). On
the stack's MLflow, Prefect and Alertmanager. The fault: `make replay` of a day after the drift began, then `make
monitor` of it -> MonitorDrift. The recovery is the runbook's close: a day judged ok (one from before the drift)
resolves it. Your champion, prediction log and monitor history are never read or written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from deploy.topology import ROOT, Stack

DRILL_POLICY = ROOT / "deploy" / "drills" / "monitoring_policy.yaml"
TRAINED_THROUGH = 29  # the simulator's covariate drift begins on day 30 (WORLD): the model knows the world before
DRIFTED_DAY = 35
CALM_DAY = TRAINED_THROUGH  # a day from before the drift: judged ok
WORLD = {  # the level 2 demo's world, small: 300 rows a day, labels three days late
    "MLOPS_DATA_SOURCE": "simulator",
    "MLOPS_SCENARIO": "covariate_drift",
    "MLOPS_SCENARIO_START_DAY": "30",
    "MLOPS_ROWS_PER_DAY": "300",
    "MLOPS_LABEL_DELAY_DAYS": "3",
    "MLOPS_SIMULATED_TODAY": str(DRIFTED_DAY + 1),
    "MLOPS_MONITORING_POLICY_FILE": str(DRILL_POLICY),
    "MLOPS_MONITORING_DASHBOARD": "false",
}
COMMAND_SECONDS = 600


class DriftedTrafficError(RuntimeError):
    """A step of the drill failed: the message names it, with the end of its output."""


def drill_project() -> str:
    """The drill's project name: its model, experiment and alerts' ``project`` label follow it."""
    from shared.settings import load_settings

    return f"{load_settings().project_name}-drill"


class DriftedTraffic:
    """``prepare`` trains the drill's model and starts its service; ``inject`` replays and monitors the drifted day;
    ``recover`` does the same with a calm day, then stops the service and removes the drill's folder."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._server = contextlib.ExitStack()
        self._url = ""

    def environment(self, stack: Stack) -> dict[str, str]:
        """What the drill's commands and service run with: the stack's servers, the drill's world and project."""
        assert self._folder is not None, "prepared first"
        project = drill_project()
        own = {
            "MLOPS_PROJECT_NAME": project,
            "MLOPS_MODEL_NAME": f"{project}-model",
            "MLOPS_EXPERIMENT_NAME": f"{project}-training",
            "MLOPS_STATE_DIR": str(self._folder),
            "MLOPS_PREDICTION_STORE_URL": f"sqlite:///{self._folder / 'predictions.db'}",
            "MLOPS_RETRAIN_DATA_SOURCE": "simulator",
        }
        tokens = {name: value for name, value in stack.tokens().items() if name.endswith("_TOKEN")}
        return os.environ | stack.client_env() | WORLD | own | tokens | {"MLOPS_SERVICE_URL": self._url}

    def prepare(self, stack: Stack) -> None:
        from shared.processes import free_port, running_server

        self._folder = Path(tempfile.mkdtemp(prefix="drill-drifted-traffic-", dir=stack.folder))
        env = self.environment(stack)
        self._run("train the drill's model", [*_python("level1_pipeline"), "run"], env, "--last-day", TRAINED_THROUGH)
        port = free_port()
        self._url = f"http://127.0.0.1:{port}"
        serve = [*_python("level2_cicd.service"), "--host", "127.0.0.1", "--port", str(port)]
        env = self.environment(stack)
        self._server.enter_context(running_server(serve, env, f"{self._url}/ready", quiet=True))

    def inject(self, stack: Stack) -> None:
        self._day(stack, DRIFTED_DAY)

    def recover(self, stack: Stack) -> None:
        try:
            if self._url:  # the service started: a calm day resolves the alarm
                self._day(stack, CALM_DAY)
        finally:
            self._server.close()
            self._url = ""
            if self._folder is not None:  # made by this drill, removed by it
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def _day(self, stack: Stack, day: int) -> None:
        """`make replay` of the day through the drill's service, then `make monitor` of it (its alarms pushed)."""
        env = self.environment(stack)
        self._run(f"replay day {day}", [*_python("level2_cicd.replay"), "--from", str(day), "--to", str(day)], env)
        self._run(f"monitor day {day}", [*_python("level2_cicd.monitoring"), "run", "--day", str(day)], env)

    @staticmethod
    def _run(what: str, command: list[str], env: dict[str, str], *extra: object) -> None:
        done = subprocess.run(
            [*command, *map(str, extra)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=COMMAND_SECONDS
        )
        if done.returncode != 0:
            said = (done.stdout[-1500:] + done.stderr[-1500:]).strip()
            raise DriftedTrafficError(f"the drifted-traffic drill could not {what} (exit {done.returncode}): {said}")


def _python(module: str) -> list[str]:
    return [sys.executable, "-m", module]
