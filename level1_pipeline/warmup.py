"""Overlap the slow starts of one level 1 run instead of paying them one after another.

Without ``PREFECT_API_URL``, Prefect starts a temporary local API server at the first flow call
(~8 s here) while the main process waits. Here the same server is launched first, as the very
first thing the process does, and the heavy imports and the MLflow connection run meanwhile on
the other core. The server is bound to 127.0.0.1 on a free port and stopped when the run ends,
also on failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from shared.settings import Settings

# What Prefect's own temporary server sets: no UI, ephemeral mode (prefect/server/api/server.py).
EPHEMERAL_SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


class LocalApiError(RuntimeError):
    """The temporary Prefect server did not come up."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _launch(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on"]
    return subprocess.Popen(command, env={**os.environ, **EPHEMERAL_SERVER_ENV})


def _wait_ready(process: subprocess.Popen[bytes], api_url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalApiError(f"temporary Prefect server exited with code {process.returncode}")
        try:
            if httpx.get(f"{api_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise LocalApiError(f"temporary Prefect server at {api_url} not ready after {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def orchestration_ready(settings: Settings) -> Iterator[None]:
    """Prefect API reachable and the process warmed up; a server we started is stopped on exit.

    When ``PREFECT_API_URL`` is set (a real server), only the warm-up happens.
    """
    if os.environ.get("PREFECT_API_URL"):
        warm_up(settings)
        yield
        return
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    process = _launch(port)
    try:
        os.environ["PREFECT_API_URL"] = api_url  # read by Prefect when it is first imported
        warm_up(settings)
        timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))
        _wait_ready(process, api_url, timeout)
        yield
    finally:
        _drain_prefect_workers()
        os.environ.pop("PREFECT_API_URL", None)
        _stop(process)


def _drain_prefect_workers(timeout: float = 5.0) -> None:
    """Send Prefect's queued logs and events to the server before it stops (else they retry for minutes)."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=timeout)
    EventsWorker.drain_all(timeout=timeout)


def warm_up(settings: Settings) -> None:
    """Import what the flow's steps use and open the tracking store."""
    import great_expectations  # noqa: F401
    import mlflow.sklearn  # noqa: F401

    import level1_pipeline.flow  # noqa: F401
    from level1_pipeline.tracking import connect

    connect(settings)
