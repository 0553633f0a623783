"""The service as users meet it: a real uvicorn process on a loopback port, talked to over HTTP."""

from __future__ import annotations

import asyncio
import signal
import threading
from typing import Any

import httpx
import pandas as pd
import pytest
import sqlalchemy as sa

from shared.data.synthetic import schema_rows
from shared.prediction_log import read_log
from shared.schema import to_records
from tests.level2_cicd.conftest import LiveService, TrainedRegistry, champion_swap_when

pytestmark = pytest.mark.slow  # runs processes or servers of its own (make test-fast skips it)

REQUESTS = 2000
CONNECTIONS = 16


def request_rows(count: int) -> list[dict[str, Any]]:
    return to_records(schema_rows(count, seed=5))


async def send_all(base: str, rows: list[dict[str, Any]], on_halfway: threading.Event) -> list[dict[str, Any]]:
    """POST each row once over a bounded pool of connections; returns every prediction."""
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for row in rows:
        queue.put_nowait(row)
    results: list[dict[str, Any]] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            row = queue.get_nowait()
            response = await client.post("/predict", json={"rows": [row]})
            assert response.status_code == 200, response.text
            results.extend(response.json()["predictions"])
            if len(results) == len(rows) // 2:
                on_halfway.set()
            else:
                await asyncio.sleep(0.002 if on_halfway.is_set() else 0)  # keep load on during the swap

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONNECTIONS)))
    return results


def stop(live: LiveService) -> None:
    live.process.terminate()  # graceful: uvicorn runs the lifespan shutdown, which flushes the log
    assert live.process.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled


def test_every_prediction_is_logged_once_with_its_version_across_a_champion_swap(
    live_service: LiveService, trained_registry: TrainedRegistry
) -> None:
    halfway = threading.Event()
    with champion_swap_when(halfway, trained_registry) as swapper:
        results = asyncio.run(send_all(live_service.base_url, request_rows(REQUESTS), halfway))
        swapper.join()
        feedback = [{"request_id": p["request_id"], "label": 1} for p in results[:100]]
        assert httpx.post(f"{live_service.base_url}/feedback", json={"labels": feedback}).status_code == 200
        model_now = httpx.get(f"{live_service.base_url}/model").json()
    stop(live_service)

    # no failed request, and the service switched versions while under load
    assert len(results) == REQUESTS
    assert {p["model_version"] for p in results} == {"1", "2"}
    assert model_now["version"] == "2"
    # every prediction is in the log exactly once, with the version that answered it
    log = read_log(sa.create_engine(live_service.store_url))
    assert len(log) == REQUESTS
    answered = pd.Series({p["request_id"]: p["model_version"] for p in results})
    assert log.set_index("request_id")["model_version"].sort_index().equals(answered.sort_index())
    # the switch is atomic: once version 2 answered, version 1 never did again
    versions = log.sort_values("served_at", kind="stable")["model_version"].tolist()
    first_two = versions.index("2")
    assert set(versions[first_two:]) == {"2"}
    # labels join to their predictions
    assert log["label"].notna().sum() == 100


def test_with_the_registry_hung_the_service_listens_says_why_it_is_not_ready_and_stops_on_sigterm(
    tmp_path: Any,
) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time

    from shared.processes import free_port, running_server
    from tests.level2_cicd.conftest import ROOT

    # given an MLflow host that accepts connections and never answers (the worst way to be away)
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(64)
    port = free_port()
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{hung.getsockname()[1]}",
        "MLOPS_STATE_DIR": str(tmp_path / "state"),
        "MLOPS_CLIENT_TIMEOUT_SECONDS": "2",
        "MLOPS_CLIENT_RETRIES": "0",
    }
    command = [sys.executable, "-m", "level2_cicd.service", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    try:
        # when the service starts, then it listens (/health) though no model could be loaded
        with running_server(command, env, f"{base}/health", timeout=120, cwd=ROOT, quiet=True) as process:

            def not_ready_reason() -> str:
                ready = httpx.get(f"{base}/ready", timeout=10)
                assert ready.status_code == 503
                return str(ready.json()["reason"])

            deadline = time.monotonic() + 60  # the first load attempt ends after one client timeout (2 s) at most
            while "first attempt under way" in (reason := not_ready_reason()) and time.monotonic() < deadline:
                time.sleep(0.2)
            # the registry's silence, not "no champion yet"
            assert reason.startswith("loading the champion of 'churn-model' failed"), reason
            # and SIGTERM stops it within uvicorn's grace, though the registry still hangs
            process.send_signal(signal.SIGTERM)
            stopped_at = time.monotonic()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pytest.fail("the service ignored SIGTERM for 30 s")
            print(f"stopped {time.monotonic() - stopped_at:.1f} s after SIGTERM; /ready said {reason}")
    finally:
        hung.close()
