"""Several uvicorn workers (`--workers 2`): one scrape counts all, every worker swaps, every prediction logged once."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator

import httpx
import pandas as pd
import pytest
import sqlalchemy as sa

from shared.data.synthetic import schema_rows
from shared.prediction_log import read_log
from shared.schema import to_records
from tests.level2_cicd.conftest import LiveService, TrainedRegistry, champion_swap_when, serving

pytestmark = pytest.mark.slow  # runs processes or servers of its own (make test-fast skips it)

REQUESTS = 600
CONNECTIONS = 8


@pytest.fixture(scope="module")
def two_workers(trained_registry: TrainedRegistry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    store = f"sqlite:///{tmp_path_factory.mktemp('workers') / 'log.db'}"
    with serving(trained_registry, store, workers=2, MLOPS_MODEL_POLL_SECONDS="0.3") as service:
        yield service


async def _send(base: str, rows: list[dict[str, object]], halfway: threading.Event) -> list[dict[str, object]]:
    answers: list[dict[str, object]] = []
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        for start in range(0, len(rows), CONNECTIONS):
            batch = rows[start : start + CONNECTIONS]
            replies = await asyncio.gather(*(client.post("/predict", json={"rows": [row]}) for row in batch))
            assert {r.status_code for r in replies} == {200}
            answers += [r.json()["predictions"][0] for r in replies]
            if len(answers) >= len(rows) // 2:
                halfway.set()
    return answers


def _versions_by_worker(base: str) -> set[str]:
    metrics = httpx.get(f"{base}/metrics").text
    return set(re.findall(r'^model_version\{pid="\d+"\} (\S+)$', metrics, flags=re.MULTILINE))


def _log_when_complete(store: str, expected: int, timeout: float = 20) -> pd.DataFrame:
    """The log once it holds ``expected`` rows (the workers' writers flush every 0.2 s), or as it is at the deadline."""
    engine = sa.create_engine(store)
    deadline = time.monotonic() + timeout
    log = read_log(engine)
    while len(log) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
        log = read_log(engine)
    engine.dispose()
    return log


def test_two_workers_log_every_prediction_once_count_all_and_all_swap(
    two_workers: LiveService, trained_registry: TrainedRegistry
) -> None:
    base, store = two_workers.base_url, two_workers.store_url
    halfway = threading.Event()
    with champion_swap_when(halfway, trained_registry) as swapper:
        answers = asyncio.run(_send(base, to_records(schema_rows(REQUESTS, seed=21)), halfway))
        swapper.join()
        deadline = time.monotonic() + 30
        while _versions_by_worker(base) != {"2.0"} and time.monotonic() < deadline:
            time.sleep(0.3)
        versions = _versions_by_worker(base)
        metrics = httpx.get(f"{base}/metrics").text
    # every worker swapped to the new champion
    assert versions == {"2.0"}
    # one scrape counts the predictions of both workers
    counted = sum(float(v) for v in re.findall(r"^predictions_total\{[^}]*\} (\S+)$", metrics, flags=re.MULTILINE))
    assert counted == REQUESTS
    # every prediction is in the log exactly once
    log = _log_when_complete(store, REQUESTS)
    assert len(log) == len(set(log["request_id"])) == REQUESTS
    assert set(log["request_id"]) == {a["request_id"] for a in answers}
