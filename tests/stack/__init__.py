"""The production topology as local processes: its tests (test_stack.py) and its long walks (test_walks.py)."""

from __future__ import annotations

from pathlib import Path

from deploy.topology import Stack
from tests.conftest import environment_without


def client_shell(stack: Stack, state: Path) -> dict[str, str]:
    """A shell after `eval "$(make -s stack-env)"`: the stack's exports, nothing of the caller's, its own state."""
    env = environment_without("MLOPS_", "MLFLOW_TRACKING", "PREFECT_")
    return env | stack.client_env() | {"MLOPS_STATE_DIR": str(state), "MLOPS_DATA_SOURCE": "synthetic"}
