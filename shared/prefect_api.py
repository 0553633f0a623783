"""The Prefect API every flow-running entry point needs: a real server if configured, else one of ours.

Without ``PREFECT_API_URL``, Prefect starts a temporary local API server at the first flow call
(~8 s here) while the main process waits. Here the same server is launched first, as the very
first thing the process does, and the caller's warm-up (heavy imports, the MLflow connection)
runs meanwhile on the other core. The server is bound to 127.0.0.1 on a free port and stopped
when the block ends, also on failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from shared.processes import free_port, stop_process, wait_until_ready
from shared.tracking import TrackingUnavailableError, check_reachable

if TYPE_CHECKING:
    from shared.settings import Settings

# What Prefect's own temporary server sets: no UI, ephemeral mode (prefect/server/api/server.py).
EPHEMERAL_SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


def _launch(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on"]
    return subprocess.Popen(command, env={**os.environ, **EPHEMERAL_SERVER_ENV})


@contextmanager
def orchestration_ready(warm_up: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Prefect API reachable and ``warm_up`` done; a server we started is stopped on exit.

    When ``PREFECT_API_URL`` is set (a real server), only the warm-up happens.
    """
    if os.environ.get("PREFECT_API_URL"):
        warm_up()
        yield
        return
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    process = _launch(port)
    try:
        os.environ["PREFECT_API_URL"] = api_url  # read by Prefect when it is first imported
        warm_up()
        timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))
        wait_until_ready(process, f"{api_url}/health", timeout)
        with without_heartbeats():
            yield
    finally:
        _drain_prefect_workers()
        os.environ.pop("PREFECT_API_URL", None)
        stop_process(process, grace=10)


@contextmanager
def without_heartbeats() -> Iterator[None]:
    """No flow-run heartbeats to an API that lives and dies with this command.

    Heartbeats let a long-lived server mark crashed runs; here each flow call would instead wait
    ~0.5 s on exit for the heartbeat thread (measured: an 18-day `make level2` took 51 s with them, 36 s without).
    """
    from prefect.settings import temporary_settings

    with temporary_settings(updates={"flows.heartbeat_frequency": None}):
        yield


class DeploymentTargetError(RuntimeError):
    """A deployment run cannot reach what it must write to; the message says what to do."""


def check_deployment_targets(settings: Settings) -> None:
    """Fail fast when a flow started by a worker (a deployment run) has no tracking server, or not the one it carries.

    Deployments carry the servers' addresses of when they were deployed: a stack that moved since
    (other ports, another host) is named, with the command that fixes it.
    """
    from prefect.runtime import deployment

    if not deployment.id:
        return
    if not settings.tracking_uri:
        raise DeploymentTargetError(
            f"deployment {deployment.name!r} runs without MLFLOW_TRACKING_URI: it would train into a private SQLite "
            "registry on the worker. Deploy with the tracking server's address in the environment (make deploy)."
        )
    try:
        check_reachable(settings)
    except TrackingUnavailableError as unreachable:
        raise DeploymentTargetError(
            f"deployment {deployment.name!r} carries MLFLOW_TRACKING_URI={settings.tracking_uri}, which does not "
            f"answer ({unreachable}). If the server is down: make stack-status (docs/runbooks/FlowRunFailed.md); "
            "if the stack moved since it was deployed, deploy again from the stack's environment: "
            'eval "$(make -s stack-env)" && make deploy'
        ) from None


def _drain_prefect_workers(timeout: float = 5.0) -> None:
    """Send Prefect's queued logs and events to the server before it stops (else they retry for minutes)."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=timeout)
    EventsWorker.drain_all(timeout=timeout)
