"""The prediction log's writer: a row's future is done only once the row is committed, and an outage is told
to every waiting caller, at once after the first failure, until the database is back."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from level2_cicd.service.prediction_logger import NotAcknowledgedError, PredictionLogger
from level2_cicd.service.store import PredictionStore, StoreWriteError
from shared.data.synthetic import schema_rows
from shared.prediction_log import PREDICTIONS
from shared.schema import to_records


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PredictionStore]:
    opened = PredictionStore(f"sqlite:///{tmp_path / 'log.db'}", flush_seconds=0.05, attempts=3)
    yield opened
    opened.close()


def _predictions(count: int, first: int = 0) -> list[dict[str, Any]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    return [
        row
        | {"request_id": f"r{first + i}", "prediction": 1, "probability": 0.7, "model_version": "1"}
        | {"created_at": now, "served_at": now, "source": "online", "variant": "champion"}
        for i, row in enumerate(to_records(schema_rows(count)))
    ]


def _stored_ids(store: PredictionStore) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(conn.execute(sa.select(PREDICTIONS.c.request_id)).scalars())


def test_a_done_future_means_the_rows_are_committed(store: PredictionStore) -> None:
    # when rows are added and their future is done
    store.add_predictions(_predictions(3)).result(timeout=10)
    # then they are in the database (read on a new connection), without any flush
    assert _stored_ids(store) == ["r0", "r1", "r2"]


def test_an_outage_fails_every_waiting_future_and_the_log_recovers_when_the_database_returns(
    store: PredictionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real_insert = store._insert

    def database_away(writes: Any) -> None:
        calls.append(len(writes))
        raise sa.exc.OperationalError("INSERT", {}, Exception("connection refused"))

    # given a database that refuses every write
    monkeypatch.setattr(store, "_insert", database_away)
    # when a batch is written, then its future fails after the store's attempts, naming the cause
    with pytest.raises(StoreWriteError, match="connection refused"):
        store.add_predictions(_predictions(2)).result(timeout=10)
    assert len(calls) == 3
    # and while the outage lasts, a later batch gets one attempt: its caller hears of the outage at once
    with pytest.raises(StoreWriteError, match="could not store 1 rows after 1 attempt"):
        store.add_predictions(_predictions(1, first=10)).result(timeout=10)
    assert len(calls) == 4
    assert store.problem() is not None
    # when the database is back, then the next rows are stored and the alarm clears; the refused ones were not stored
    monkeypatch.setattr(store, "_insert", real_insert)
    store.add_predictions(_predictions(1, first=20)).result(timeout=10)
    assert store.problem() is None
    assert _stored_ids(store) == ["r20"]


def test_a_write_the_database_holds_makes_the_log_unhealthy_until_it_is_stored(tmp_path: Path) -> None:
    # given a log whose database file another connection holds locked (a hung database: no error, no progress)
    path = tmp_path / "log.db"
    store = PredictionStore(f"sqlite:///{path}", flush_seconds=0.05, stuck_seconds=0.3)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        # when rows are added, then once their write has waited the time allowed the log says so
        stored = store.add_predictions(_predictions(2))
        deadline = time.monotonic() + 10
        while store.problem() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "has waited" in (store.problem() or ""), store.problem()
        assert not stored.done()
    finally:
        holder.execute("COMMIT")
        holder.close()
    # and when the database lets go, the rows are stored and the log is healthy again
    stored.result(timeout=30)
    assert store.problem() is None
    assert _stored_ids(store) == ["r0", "r1"]
    store.close()


def test_rows_added_after_the_writer_stopped_fail_at_once(tmp_path: Path) -> None:
    stopped = PredictionStore(f"sqlite:///{tmp_path / 'log.db'}")
    stopped.close()
    with pytest.raises(StoreWriteError, match="writer stopped"):
        stopped.add_predictions(_predictions(1)).result(timeout=1)


def _acknowledge_all(logger: PredictionLogger, batches: list[list[dict[str, Any]]]) -> list[BaseException | None]:
    """Each batch added and waited for by its own concurrent request, on one event loop; each one's outcome."""

    async def request(rows: list[dict[str, Any]]) -> None:
        await logger.acknowledged(logger.store.add_predictions(rows))

    async def main() -> list[BaseException | None]:
        outcomes = await asyncio.gather(*(request(rows) for rows in batches), return_exceptions=True)
        return [outcome if isinstance(outcome, BaseException) else None for outcome in outcomes]

    return asyncio.run(main())


def test_concurrent_requests_are_acknowledged_once_their_rows_are_committed(store: PredictionStore) -> None:
    # given 40 requests waiting at once on one event loop (the writer commits them in a few batches)
    logger = PredictionLogger(store, ack_seconds=10)
    # when each waits for its rows
    outcomes = _acknowledge_all(logger, [_predictions(1, first=i) for i in range(40)])
    # then every one is acknowledged, and every acknowledged row is in the database
    assert outcomes == [None] * 40
    assert len(_stored_ids(store)) == 40


def test_a_failed_commit_is_not_acknowledged_to_any_request_that_waited_for_it(
    store: PredictionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a database that refuses every write
    def database_away(writes: Any) -> None:
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(store, "_insert", database_away)
    logger = PredictionLogger(store, ack_seconds=10)
    # when 5 requests wait for their rows
    outcomes = _acknowledge_all(logger, [_predictions(1, first=i) for i in range(5)])
    # then none is acknowledged, and each is told why (a 503 the client retries)
    assert all(isinstance(outcome, NotAcknowledgedError) for outcome in outcomes)
    assert all("disk I/O error" in str(outcome) for outcome in outcomes)


def test_rows_not_committed_within_the_wait_allowed_are_not_acknowledged(store: PredictionStore) -> None:
    # given a writer that does not get to commit (a future nobody sets), and a wait of 0.2 s
    logger = PredictionLogger(store, ack_seconds=0.2)

    async def wait() -> None:
        await logger.acknowledged(Future())

    # when a request waits for it, then it is refused after the wait, not left hanging
    with pytest.raises(NotAcknowledgedError, match=r"not stored within 0\.2 s"):
        asyncio.run(wait())
