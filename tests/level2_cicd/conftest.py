"""Level 2 fixtures: a registry with two trained versions, and the service as users meet it."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pytest

from shared.processes import free_port, running_server
from shared.registry import Move, Registry
from shared.settings import Settings
from shared.tracking import use_tracking_uri
from tests.conftest import SMALL

ROOT = Path(__file__).resolve().parents[2]

TOKEN = "test-admin-token"


@dataclass(frozen=True)
class TrainedRegistry:
    """A state folder whose registry has version 1 (champion) and version 2 (not promoted)."""

    state_dir: Path
    tracking_uri: str

    def settings(self, **extra: Any) -> Settings:
        base: dict[str, Any] = {"state_dir": self.state_dir, "admin_token": TOKEN, "model_poll_seconds": 0.3}
        return Settings(**(base | SMALL | extra))


def _train_two_versions(state: Path) -> None:
    from level1_pipeline.flow import training_flow

    overrides = {"state_dir": str(state), **SMALL}
    first = training_flow(settings_overrides=overrides)
    second = training_flow(params={"max_iter": 1, "max_depth": 1}, settings_overrides=overrides)
    assert (first.version, first.promoted, second.version, second.promoted) == ("1", True, "2", False)


@pytest.fixture(scope="session")
def trained_registry(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> TrainedRegistry:
    """Trained once per `make test` run: the first test process that needs it trains it (on the Prefect API) into
    a folder its sibling processes share; each process works on its own copy (tests move aliases). The copy's
    artifacts stay in that first folder, where the registry's records point (new runs write there too). A test
    that runs a flow asks for `prefect_api` itself (a copy does not start one; a flow would start its own)."""
    basetemp = tmp_path_factory.getbasetemp()
    shared = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp  # parent: this run's alone
    trained = shared / "trained-registry"
    with (shared / "trained-registry.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if training fails
        if not (trained / "done").exists():
            request.getfixturevalue("prefect_api")
            _train_two_versions(trained / "state")
            (trained / "done").touch()
    state = tmp_path_factory.mktemp("level2-state")
    shutil.copytree(trained / "state", state, dirs_exist_ok=True)
    tracking_uri = Settings(state_dir=state, tracking_uri=None).resolved_tracking_uri
    use_tracking_uri(tracking_uri)  # as the training left it in the process that trained (not exported)
    return TrainedRegistry(state, tracking_uri)


@dataclass(frozen=True)
class LiveService:
    base_url: str
    process: subprocess.Popen[bytes]
    store_url: str

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])


@contextmanager
def serving(
    registry: TrainedRegistry, store_url: str, workers: int = 1, python: str = sys.executable, **env: str
) -> Iterator[LiveService]:
    """`python -m level2_cicd.service` on the trained registry, on a free loopback port; always stopped."""
    port = free_port()
    environment = {
        **os.environ,
        "MLOPS_STATE_DIR": str(registry.state_dir),
        "MLFLOW_TRACKING_URI": registry.tracking_uri,
        "MLOPS_PREDICTION_STORE_URL": store_url,
        **env,
    }
    command = [python, "-m", "level2_cicd.service", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    base = f"http://127.0.0.1:{port}"
    with running_server(command, environment, f"{base}/ready", timeout=120, cwd=ROOT, quiet=True) as process:
        yield LiveService(base, process, store_url)


@contextmanager
def champion_swap_when(event: threading.Event, registry: TrainedRegistry) -> Iterator[threading.Thread]:
    """Promote version 2 once ``event`` is set (while load runs); version 1 is champion again afterwards."""
    mlflow.set_tracking_uri(registry.tracking_uri)
    models = Registry("churn-model")
    swapper = threading.Thread(
        target=lambda: event.wait(120) and models.promote("2", Move("a test", "swap under load"))
    )
    swapper.start()
    try:
        yield swapper
    finally:
        swapper.join()
        models.promote(
            "1", Move("a test", "back to the start")
        )  # the session's registry goes back to its starting state


@pytest.fixture(scope="module")
def live_service(trained_registry: TrainedRegistry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """The service in its own process, as users meet it."""
    store = f"sqlite:///{tmp_path_factory.mktemp('live-store') / 'predictions.db'}"
    with serving(trained_registry, store, MLOPS_ADMIN_TOKEN=TOKEN, MLOPS_MODEL_POLL_SECONDS="0.3") as service:
        yield service


@contextmanager
def started(app: Any, timeout: float = 120) -> Iterator[Any]:
    """An in-process client of the service once its first model load has ended (it listens before that, as a
    real process does: /health at once, /ready when a model is loaded)."""
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        assert client.portal is not None
        client.portal.call(app.state.service.first_load_attempted, timeout)
        yield client
