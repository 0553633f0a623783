"""Process-level defaults for entry points: no telemetry, quiet progress bars, local state."""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path

from shared.settings import Settings

PRIVATE_AND_QUIET = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_LOGGING_LEVEL": "WARNING",  # no "Detected uv project" / "View run at <temporary server>" lines
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "ITERATIVE_DO_NOT_TRACK": "1",  # Evidently's telemetry library
}

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def loopback_without_proxy() -> None:
    """Keep the project's own servers (all on loopback) out of a proxy set for the outside world.

    A laptop behind a corporate proxy exports HTTP(S)_PROXY; without loopback in NO_PROXY, MLflow's and
    Prefect's clients would send requests for 127.0.0.1 to the proxy, and a local server would never answer.
    """
    for key in ("NO_PROXY", "no_proxy"):
        present = [host.strip() for host in os.environ.get(key, "").split(",") if host.strip()]
        os.environ[key] = ",".join(dict.fromkeys([*present, *LOOPBACK]))


def client_limits(settings: Settings) -> dict[str, str]:
    """The MLflow and Prefect clients' timeouts and retries, as their own environment variables.

    Their defaults wait minutes on a lost server (MLflow: 7 retries of 120 s each); the project's
    settings bound every request instead. Values already in the environment win.
    """
    timeout, retries = f"{settings.client_timeout_seconds:g}", str(settings.client_retries)
    return {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": timeout,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": retries,
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
        "PREFECT_API_REQUEST_TIMEOUT": timeout,
        "PREFECT_CLIENT_MAX_RETRIES": retries,
    }


def prepare_process(settings: Settings) -> None:
    """Called by entry points only: turn telemetry off, bound every client, keep loopback off proxies and Prefect's
    home in the state folder.

    Values already in the environment win, so users can point at real servers.
    """
    for key, value in (PRIVATE_AND_QUIET | client_limits(settings)).items():
        os.environ.setdefault(key, value)
    loopback_without_proxy()
    # A command prints its own summary; Prefect's per-task lines and failure tracebacks stay in the
    # Prefect run (API), not on the terminal. Set PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL=INFO to see them.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    prefect_home = Path(os.environ.setdefault("PREFECT_HOME", str(settings.state_path / "prefect")))
    prefect_home.mkdir(parents=True, exist_ok=True)  # Prefect does not create missing parents


def exit_quickly(code: int) -> None:
    """Exit an entry point without the interpreter's last full garbage collection.

    With MLflow, Prefect, Great Expectations and Evidently loaded, tearing down the heap costs
    ~2 s on 2 cores (measured). Freezing it first skips that pass; atexit handlers still run
    and the operating system reclaims the memory.
    """
    gc.freeze()
    sys.exit(code)
