"""The faults `make drill` causes on a running stack, and their recoveries (deploy/drill.py runs them)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from pydantic import SecretStr

from deploy.processes import process_tree, stopped
from deploy.stack import program_pids
from deploy.topology import ROOT, Stack
from deploy.wait import first_not_ready
from level2_cicd.traffic import bearer, client_records
from shared.data.synthetic import schema_rows
from shared.settings import load_settings
from shared.settings_environment import environment_for

TRICKLE_SECONDS = 2.0  # one prediction this often while the database hangs: a write must be waiting


class DrillError(RuntimeError):
    """The drill could not run, or its alert did not arrive in time: the message says which."""


def supervisorctl(stack: Stack, *args: str) -> None:
    command = [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(stack.folder / "supervisord.conf")]
    subprocess.run([*command, *args], check=True, capture_output=True, timeout=120)


def drill_model() -> str:
    """The registered model the drills' training runs write to: the configured one's champion never moves."""
    return f"{load_settings().model_name}-drill"


def training_run(stack: Stack, overrides: dict[str, object]) -> None:
    """A level 1 run against the stack, on the drill's own registered model; its failure is the drill's fault."""
    mine = environment_for(**({"model_name": drill_model(), "data_source": "synthetic"} | overrides))
    env = os.environ | stack.client_env() | mine
    command = [sys.executable, "-m", "level1_pipeline", "run"]
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=600)


def program_pid(stack: Stack, program: str) -> int:
    """The running program's process id (its children: ``process_tree``)."""
    pid = program_pids(stack.folder).get(program)
    if pid is None:
        raise DrillError(f"{program} is not running on the stack: make stack-status")
    return pid


class HungDatabase:
    """PostgreSQL's processes stopped (not killed: their sockets stay open, so a client waits with no error), with a
    prediction every ``TRICKLE_SECONDS`` reaching the service so that a log write waits on it."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._trickle: threading.Thread | None = None

    def inject(self, stack: Stack) -> None:
        answer = httpx.get(f"{stack.service_url}/ready", timeout=10)
        if answer.status_code != 200:  # no model: /predict answers 503 at once, no write waits on the database
            raise DrillError(f"the service is not ready ({answer.text}): a hang drill needs it serving a champion")
        server = program_pid(stack, "postgres")
        os.kill(server, signal.SIGSTOP)  # first: stopped, it starts no new backend while they are stopped
        for pid in process_tree(server):
            os.kill(pid, signal.SIGSTOP)
        self._stop.clear()
        self._trickle = threading.Thread(target=self._predict_until_stopped, args=(stack,), daemon=True)
        self._trickle.start()

    def recover(self, stack: Stack) -> None:
        self._stop.set()
        tree = process_tree(program_pid(stack, "postgres"))
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
        headers = bearer(SecretStr(stack.tokens()["MLOPS_SCORING_TOKEN"]))
        body = {"rows": client_records(schema_rows(1))}
        with httpx.Client(base_url=stack.service_url, timeout=30) as client:
            while not self._stop.wait(TRICKLE_SECONDS):
                # a 503 is the point (not stored, so not acknowledged); a refused connection is the service's to say
                with contextlib.suppress(httpx.HTTPError):
                    client.post("/predict", json=body, headers=headers)


TRAINING_DEPLOYMENT = "level1-training/daily-training"
MLFLOW_START_SECONDS = 120


def scheduled_training(stack: Stack) -> None:
    """A run of the training deployment (`make deploy`), as its schedule starts one, on the drill's own model;
    waits (bounded) for its end, whatever its state."""
    prefect = [str(Path(sys.executable).parent / "prefect")]
    env = os.environ | stack.client_env()
    found = subprocess.run([*prefect, "deployment", "inspect", TRAINING_DEPLOYMENT], env=env, capture_output=True)
    if found.returncode != 0:
        raise DrillError(f"no deployment {TRAINING_DEPLOYMENT} on the stack: make deploy (from make stack-env)")
    overrides = {"model_name": drill_model(), "data_source": "synthetic"}
    command = [*prefect, "deployment", "run", TRAINING_DEPLOYMENT, "--watch", "--watch-timeout", "400"]
    command += ["--params", json.dumps({"settings_overrides": overrides})]
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=450)


def mlflow_stopped_then_training(stack: Stack) -> None:
    supervisorctl(stack, "stop", "mlflow")
    scheduled_training(stack)


def mlflow_started_then_training(stack: Stack) -> None:
    supervisorctl(stack, "start", "mlflow")
    if first_not_ready([f"{stack.tracking_uri}/health"], MLFLOW_START_SECONDS) is not None:  # running, not listening
        raise DrillError(f"MLflow did not answer within {MLFLOW_START_SECONDS} s of its start: make stack-status")
    scheduled_training(stack)
