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
from typing import Any

from deploy.faults import DrillError
from deploy.topology import ROOT, Stack
from shared.processes import ServerStartError, free_port, running_server
from shared.registry import Registry
from shared.settings import Settings, load_settings
from shared.settings_environment import as_environment
from shared.tracking import use_tracking_uri

DRILL_POLICY = ROOT / "deploy" / "drills" / "monitoring_policy.yaml"
DRIFT_BEGINS = 30  # the simulator's covariate drift changes the world from this day on
TRAINED_THROUGH = DRIFT_BEGINS - 1  # the model knows the world before it
DRIFTED_DAY = DRIFT_BEGINS + 5
CALM_DAY = TRAINED_THROUGH  # a day from before the drift: judged ok
WORLD: dict[str, Any] = {  # the level 2 demo's world, small: 300 rows a day, labels three days late
    "data_source": "simulator",
    "retrain_data_source": "simulator",
    "scenario": "covariate_drift",
    "scenario_start_day": DRIFT_BEGINS,
    "rows_per_day": 300,
    "label_delay_days": 3,
    "simulated_today": DRIFTED_DAY + 1,
    "monitoring_policy_file": DRILL_POLICY,
    "monitoring_dashboard": False,
}
COMMAND_SECONDS = 600


def drill_project() -> str:
    """The drill's project name: its model, experiment and alerts' ``project`` label follow it."""
    return f"{load_settings().project_name}-drill"


def drill_settings(stack: Stack, folder: Path, service_url: str = "") -> Settings:
    """The drill's world as one settings object: the stack's servers, the simulator's drift, a project, state, log
    and policy of its own (``folder``); its commands and service read it from their environment."""
    project = drill_project()
    tokens = {name.removeprefix("MLOPS_").lower(): value for name, value in stack.tokens().items()}
    own: dict[str, Any] = {"project_name": project, "model_name": f"{project}-model"}
    own |= {"experiment_name": f"{project}-training"}
    own |= {"state_dir": folder, "prediction_store_url": f"sqlite:///{folder / 'predictions.db'}"}
    servers = {"tracking_uri": stack.tracking_uri, "alertmanager_url": stack.alertmanager_url}
    servers |= {"service_url": service_url} if service_url else {}
    return load_settings(**WORLD, **own, **servers, **tokens)


def drill_environment(stack: Stack, folder: Path, service_url: str = "") -> dict[str, str]:
    """What the drill's commands and service run with: the caller's, the stack's clients' (Prefect's address), then
    the drill's settings over both (``as_environment``: one object, not variables by hand)."""
    return os.environ | stack.client_env() | as_environment(drill_settings(stack, folder, service_url))


class DriftedTraffic:
    """``prepare`` trains the drill's model and starts its service; ``inject`` replays and monitors the drifted day;
    ``recover`` does the same with a calm day, then stops the service and removes the drill's folder."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._server = contextlib.ExitStack()
        self._env: dict[str, str] = {}  # the drill's world, once its service answers (empty: nothing to replay to)

    def prepare(self, stack: Stack) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="drill-drifted-traffic-", dir=stack.folder))
        env = drill_environment(stack, self._folder)
        _run("train the drill's model", [*_python("level1_pipeline"), "run", "--last-day", str(TRAINED_THROUGH)], env)
        _check_champion(drill_settings(stack, self._folder))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        serve = [*_python("level2_cicd.service"), "--host", "127.0.0.1", "--port", str(port)]
        try:
            self._server.enter_context(running_server(serve, env, f"{url}/ready", quiet=True))
        except ServerStartError as error:
            raise DrillError(f"the drifted-traffic drill's service did not become ready: {error}") from None
        self._env = drill_environment(stack, self._folder, url)  # the replays go there

    def inject(self, stack: Stack) -> None:
        self._day(DRIFTED_DAY)

    def recover(self, stack: Stack) -> None:
        try:
            if self._env:  # the service started: a calm day resolves the alarm
                self._day(CALM_DAY)
        finally:
            self._server.close()
            self._env = {}
            if self._folder is not None:  # made by this drill, removed by it
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def _day(self, day: int) -> None:
        """`make replay` of the day through the drill's service, then `make monitor` of it (its alarms pushed)."""
        _run(f"replay day {day}", [*_python("level2_cicd.replay"), "--from", str(day), "--to", str(day)], self._env)
        _run(f"monitor day {day}", [*_python("level2_cicd.monitoring"), "run", "--day", str(day)], self._env)


def _check_champion(settings: Settings) -> None:
    """The drill's service serves its model's champion: none (its gates refused it) stops the drill here."""
    use_tracking_uri(settings.resolved_tracking_uri)
    if Registry(settings.model_name).champion() is None:
        raise DrillError(
            f"the drill's model {settings.model_name!r} has no champion: its training's gates refused it (your "
            f"training policy, {settings.training_policy_file}, applies to the drill's model too)"
        )


def _run(what: str, command: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=COMMAND_SECONDS)
    except subprocess.TimeoutExpired:
        raise DrillError(f"the drifted-traffic drill could not {what} within {COMMAND_SECONDS} s") from None
    if done.returncode != 0:
        said = (done.stdout[-1500:] + done.stderr[-1500:]).strip()
        raise DrillError(f"the drifted-traffic drill could not {what} (exit {done.returncode}): {said}")


def _python(module: str) -> list[str]:
    return [sys.executable, "-m", module]
