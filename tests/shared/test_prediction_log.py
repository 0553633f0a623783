"""The prediction log's tables: older logs gain the optional columns, incompatible ones are refused."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from shared.prediction_log import METADATA, PREDICTIONS, StoreSchemaError, create_store_engine, read_log


def test_a_log_written_before_source_and_variant_gains_them_and_keeps_its_rows(tmp_path: Path) -> None:
    # given a predictions table as the first release wrote it, with one row
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = sa.MetaData()
    columns = [c._copy() for c in PREDICTIONS.columns if c.name not in {"source", "variant"}]
    sa.Table("predictions", old, *columns)
    engine = sa.create_engine(url)
    old.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO predictions (request_id, created_at, served_at, model_version, prediction, probability) "
            "VALUES ('r1', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '1', 1, 0.9)"
        )
    engine.dispose()

    # when the current code opens it
    store = create_store_engine(url)

    # then the columns exist, the old row is still there (its source unknown), and new rows can carry them
    log = read_log(store)
    assert {"source", "variant"} <= set(log.columns)
    assert log["request_id"].tolist() == ["r1"]
    assert log["source"].isna().all()
    with store.begin() as conn:
        conn.execute(
            PREDICTIONS.insert(),
            [
                {
                    "request_id": "r2",
                    "created_at": log["created_at"][0],
                    "served_at": log["created_at"][0],
                    "model_version": "2",
                    "prediction": 0,
                    "probability": 0.1,
                    "source": "batch",
                    "variant": "champion",
                }
            ],
        )
    assert read_log(store).set_index("request_id").loc["r2", "source"] == "batch"


def test_a_log_missing_a_required_column_is_refused_naming_it(tmp_path: Path) -> None:
    # given a predictions table without the required probability column
    url = f"sqlite:///{tmp_path / 'broken.db'}"
    broken = sa.MetaData()
    sa.Table("predictions", broken, *[c._copy() for c in PREDICTIONS.columns if c.name != "probability"])
    broken.create_all(sa.create_engine(url))

    # when / then: opening it says which table misses which column
    with pytest.raises(StoreSchemaError, match=r"'predictions'.*missing columns probability"):
        create_store_engine(url)


def test_two_workers_opening_a_new_sqlite_log_at_the_same_instant_both_get_it(tmp_path: Path) -> None:
    # given new SQLite logs, each opened by two workers released at the same instant (as uvicorn's --workers 2
    # start); with one attempt each, 19 pairs in 20 had a loser: 'table predictions already exists' or
    # 'database is locked' on the journal change, and that service worker stayed unready for good
    errors: list[str] = []
    for pair in range(10):
        url = f"sqlite:///{tmp_path / f'log-{pair}.db'}"
        barrier = threading.Barrier(2)

        def open_log(url: str = url, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                engine = create_store_engine(url)
            except sa.exc.SQLAlchemyError as error:
                errors.append(str(error).splitlines()[0])
            else:
                engine.dispose()

        workers = [threading.Thread(target=open_log) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        # when both have started, then both hold a log with every table
        tables = set(sa.inspect(sa.create_engine(url)).get_table_names())
        assert set(METADATA.tables) <= tables
    assert errors == []
