"""The production topology as local processes: its tests (test_stack.py) and its long walks (test_walks.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from deploy.alert_receiver import in_words, last_received, read_received
from deploy.topology import Stack
from shared.settings_environment import environment_for
from tests.conftest import environment_without

ROOT = Path(__file__).resolve().parents[2]


def client_shell(stack: Stack, state: Path) -> dict[str, str]:
    """A shell after `eval "$(make -s stack-env)"`: the stack's exports, nothing of the caller's, its own state."""
    env = environment_without("MLOPS_", "MLFLOW_TRACKING", "PREFECT_")
    return env | stack.client_env() | environment_for(state_dir=state, data_source="synthetic")


def deploy(env: dict[str, str]) -> dict[str, str]:
    """`make deploy` from that shell (creates the work pool, registers the deployments); the shell, for chaining."""
    command = [sys.executable, "-m", "deploy.prefect_deploy"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return env


def alerts_received(stack: Stack, name: str, timeout: float = 60, project: str | None = None) -> list[str]:
    """What the stack's receiver got, once an alert of ``name`` (of ``project``'s, when given) is among it (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        newest = read_received(stack.alerts_file)[-50:]
        if project is not None:
            newest = [line for line in newest if line["labels"].get("project") == project]
        if any(name in in_words(line) for line in newest):
            return [in_words(line) for line in newest]
        time.sleep(0.5)
    raise AssertionError(f"no {name} at the stack's receiver within {timeout} s: {last_received(stack.alerts_file)}")
