"""Level 2 fixtures: a registry with two trained versions, and the service as users meet it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pytest

from shared.processes import free_port, running_server
from shared.settings import Settings

TOKEN = "test-admin-token"
SMALL = {"data_source": "synthetic", "rows_per_day": 300, "train_days": 10}


@dataclass(frozen=True)
class TrainedRegistry:
    """A state folder whose registry has version 1 (champion) and version 2 (not promoted)."""

    state_dir: Path
    tracking_uri: str

    def settings(self, **extra: Any) -> Settings:
        base: dict[str, Any] = {"state_dir": self.state_dir, "admin_token": TOKEN, "model_poll_seconds": 0.3}
        return Settings(**(base | SMALL | extra))


@pytest.fixture(scope="session")
def trained_registry(tmp_path_factory: pytest.TempPathFactory, prefect_api: None) -> TrainedRegistry:
    from level1_pipeline.flow import training_flow

    state = tmp_path_factory.mktemp("level2-state")
    overrides = {"state_dir": str(state), **SMALL}
    first = training_flow(settings_overrides=overrides)
    second = training_flow(params={"max_iter": 1, "max_depth": 1}, settings_overrides=overrides)
    assert (first.version, first.promoted, second.version, second.promoted) == ("1", True, "2", False)
    return TrainedRegistry(state, mlflow.get_tracking_uri())


@dataclass(frozen=True)
class LiveService:
    base_url: str
    process: subprocess.Popen[bytes]
    store_url: str


@pytest.fixture(scope="module")
def live_service(trained_registry: TrainedRegistry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """`python -m level2_cicd.service` in its own process on a free loopback port; always stopped."""
    port = free_port()
    store = tmp_path_factory.mktemp("live-store") / "predictions.db"
    env = {
        **os.environ,
        "MLOPS_STATE_DIR": str(trained_registry.state_dir),
        "MLFLOW_TRACKING_URI": trained_registry.tracking_uri,
        "MLOPS_PREDICTION_STORE_URL": f"sqlite:///{store}",
        "MLOPS_ADMIN_TOKEN": TOKEN,
        "MLOPS_MODEL_POLL_SECONDS": "0.3",
    }
    command = [sys.executable, "-m", "level2_cicd.service", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running_server(command, env, f"{base}/ready", timeout=90) as process:
        yield LiveService(base, process, env["MLOPS_PREDICTION_STORE_URL"])
