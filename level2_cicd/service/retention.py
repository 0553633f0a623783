"""`make purge-log`: delete what the data policy no longer allows the prediction log to keep.

Predictions older than `retention.predictions_days` (by serve time) go with their labels; labels
older than `retention.labels_days` and refused-row records older than `retention.rejections_days`
(by arrival) go too. Deletes run in batches of `purge_batch_rows`, one short transaction each, so
the service's writer is never blocked for long.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from level2_cicd.service.data_policy import DataPolicy, load_data_policy
from shared.prediction_log import LABELS, PREDICTIONS, REJECTIONS, SHADOW, create_store_engine, naive_utc, safe_url
from shared.settings import load_settings


@dataclass(frozen=True)
class Purged:
    predictions: int
    labels: int
    rejections: int


def _delete_in_batches(
    engine: sa.Engine, table: sa.Table, key: sa.Column, condition: sa.ColumnElement[bool], batch: int
) -> int:
    """Delete the rows matching ``condition``, ``batch`` at a time (selected by ``key``); returns how many."""
    total = 0
    while True:
        with engine.begin() as conn:
            keys = [row[0] for row in conn.execute(sa.select(key).where(condition).limit(batch))]
            if not keys:
                return total
            if table is PREDICTIONS:  # a prediction's labels and shadow score go with it
                conn.execute(sa.delete(LABELS).where(LABELS.c.request_id.in_(keys)))
                conn.execute(sa.delete(SHADOW).where(SHADOW.c.request_id.in_(keys)))
            conn.execute(sa.delete(table).where(key.in_(keys)))
        total += len(keys)


def purge(engine: sa.Engine, policy: DataPolicy, now: datetime | None = None) -> Purged:
    now = now or naive_utc()
    keep = policy.retention
    batch = policy.purge_batch_rows
    predictions = _delete_in_batches(
        engine, PREDICTIONS, PREDICTIONS.c.request_id,
        PREDICTIONS.c.served_at < now - timedelta(days=keep.predictions_days), batch,
    )  # fmt: skip
    labels = _delete_in_batches(
        engine, LABELS, LABELS.c.id, LABELS.c.received_at < now - timedelta(days=keep.labels_days), batch
    )
    rejections = _delete_in_batches(
        engine,
        REJECTIONS,
        REJECTIONS.c.id,
        REJECTIONS.c.received_at < now - timedelta(days=keep.rejections_days),
        batch,
    )
    return Purged(predictions, labels, rejections)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    settings = load_settings()
    policy = load_data_policy(settings.data_policy_file)
    engine = create_store_engine(settings.resolved_prediction_store_url)
    try:
        done = purge(engine, policy)
    finally:
        engine.dispose()
    print(
        f"purged from {safe_url(settings.resolved_prediction_store_url)}: {done.predictions} predictions "
        f"(with their labels), {done.labels} labels, {done.rejections} refused-row records "
        f"(policy: {settings.data_policy_file})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
