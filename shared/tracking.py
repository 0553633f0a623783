"""MLflow tracking connection shared by every level: fail fast and clearly, find the experiment."""

from __future__ import annotations

import os

import httpx
import requests

from shared.local_state import ensure_sqlite_folder
from shared.settings import Settings

# Where a training run keeps the sample of its training features that monitoring compares to.
REFERENCE_DIR = "reference"
REFERENCE_FILE = "reference.parquet"
RELIANCE_FILE = "reliance.json"  # beside the reference: each column's share of the model's reliance


class TrackingUnavailableError(RuntimeError):
    """The tracking server cannot be reached; the message names the URI."""


def is_remote(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def check_reachable(settings: Settings, timeout: float = 3.0) -> None:
    """Fail within seconds, naming the URI, when a remote tracking server does not answer."""
    uri = settings.resolved_tracking_uri
    if not is_remote(uri):
        return
    try:
        httpx.get(f"{uri.rstrip('/')}/health", timeout=timeout).raise_for_status()
    except httpx.HTTPError as error:
        raise TrackingUnavailableError(f"MLflow tracking server at {uri} is unreachable: {error}") from None


def _chain(error: BaseException) -> list[BaseException]:
    """The error and every error it was raised from or while handling, outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def lost_server(error: BaseException, settings: Settings) -> str | None:
    """Which server a command lost mid-way (and how), when ``error`` is a lost connection; else None."""
    chain = _chain(error)
    network = [e for e in chain if isinstance(e, ConnectionError | TimeoutError) or _is_client_network_error(e)]
    if not network:
        return None
    root = network[-1]
    how = f"{type(root).__name__}: {str(root).splitlines()[0][:160]}" if str(root) else type(root).__name__
    names = {type(e).__module__.split(".")[0] for e in chain}
    if "mlflow" in names or "requests" in names or "urllib3" in names:
        return f"the MLflow server at {settings.resolved_tracking_uri} ({how})"
    api = os.environ.get("PREFECT_API_URL")
    return f"the Prefect API at {api} ({how})" if api and "httpx" in names else f"a server ({how})"


def _is_client_network_error(error: BaseException) -> bool:
    return isinstance(error, requests.ConnectionError | requests.Timeout | httpx.TransportError)


def use_tracking_uri(uri: str) -> None:
    """Point this process's MLflow client at ``uri`` without exporting it.

    ``mlflow.set_tracking_uri`` also writes MLFLOW_TRACKING_URI into the environment, which the
    settings object reads as a user's choice: a later Settings(state_dir=...) in the same process
    would silently keep using the first store. The variable is put back as it was.
    """
    import mlflow

    before = os.environ.get("MLFLOW_TRACKING_URI")
    ensure_sqlite_folder(uri)
    mlflow.set_tracking_uri(uri)
    if before is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = before


def connect(settings: Settings) -> str:
    """Point MLflow at the configured tracking URI and return the experiment id.

    HTTP servers are probed first (a few seconds at most) instead of letting MLflow's client
    retry for minutes; a local SQLite store gets its folder created.
    """
    check_reachable(settings)
    use_tracking_uri(settings.resolved_tracking_uri)
    return ensure_experiment(settings)


def ensure_experiment(settings: Settings, name: str | None = None) -> str:
    """The id of experiment ``name`` (default: the training one), creating it with an absolute artifact location
    when local."""
    import mlflow

    name = name or settings.experiment_name
    existing = mlflow.get_experiment_by_name(name)
    if existing is not None:
        return str(existing.experiment_id)
    location = None
    if not is_remote(settings.resolved_tracking_uri):
        settings.artifact_root.mkdir(parents=True, exist_ok=True)
        location = settings.artifact_root.as_uri()
    return str(mlflow.create_experiment(name, artifact_location=location))
