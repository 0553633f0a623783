"""The prediction log's writer: a row's future is done only once the row is committed, and an outage is told
to every waiting caller, at once after the first failure, until the database is back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

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


def test_rows_added_after_the_writer_stopped_fail_at_once(tmp_path: Path) -> None:
    stopped = PredictionStore(f"sqlite:///{tmp_path / 'log.db'}")
    stopped.close()
    with pytest.raises(StoreWriteError, match="writer stopped"):
        stopped.add_predictions(_predictions(1)).result(timeout=1)
