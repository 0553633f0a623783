"""Retention: old predictions (with their labels), labels and refused-row records are purged in batches."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from level2_cicd.service.data_policy import DataPolicy
from level2_cicd.service.retention import purge
from shared.data.synthetic import schema_rows
from shared.prediction_log import LABELS, PREDICTIONS, REJECTIONS, create_store_engine
from shared.schema import to_records

NOW = datetime(2026, 11, 26, 12, 0)


def fill(engine: sa.Engine, age_days: dict[str, int]) -> None:
    """Predictions served ``age`` days before NOW, each labelled the same day, and one refused row each."""
    features = to_records(schema_rows(len(age_days), seed=1))
    with engine.begin() as conn:
        for (request_id, age), row in zip(age_days.items(), features, strict=True):
            when = NOW - timedelta(days=age)
            prediction = {"request_id": request_id, "created_at": when, "served_at": when, "model_version": "1"}
            conn.execute(sa.insert(PREDICTIONS).values(**row, **prediction, prediction=1, probability=0.5))
            conn.execute(sa.insert(LABELS).values(request_id=request_id, label=1, received_at=when))
            refused = {"created_at": when, "received_at": when, "request_id": f"r-{request_id}", "row": 0}
            conn.execute(sa.insert(REJECTIONS).values(**refused, field="x", rule="missing"))


def remaining(engine: sa.Engine, table: sa.Table, column: str) -> list[str]:
    with engine.connect() as conn:
        return sorted(str(r[0]) for r in conn.execute(sa.select(table.c[column])))


def check_purge(engine: sa.Engine) -> None:
    # given rows of every age around the policy's periods (365 / 365 / 90 days), purged 2 at a time
    fill(engine, {"fresh": 1, "quarter": 100, "old-1": 400, "old-2": 500, "old-3": 600})
    policy = DataPolicy(purge_batch_rows=2)
    # when purged
    done = purge(engine, policy, now=NOW)
    # then only what the policy no longer allows is gone, labels with their predictions
    assert (done.predictions, done.rejections) == (3, 4)
    assert remaining(engine, PREDICTIONS, "request_id") == ["fresh", "quarter"]
    assert remaining(engine, LABELS, "request_id") == ["fresh", "quarter"]
    assert remaining(engine, REJECTIONS, "request_id") == ["r-fresh"]
    assert purge(engine, policy, now=NOW) == type(done)(0, 0, 0)  # nothing left to purge


def test_purge_on_sqlite(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'log.db'}")
    check_purge(engine)
    engine.dispose()
