"""The prediction log: every served prediction and every label, in any SQLAlchemy database.

Writes are batched by a background thread so they stay off the request path. Durability policy:
a clean shutdown flushes everything; a crash loses at most what arrived in the last
``flush_seconds`` (0.2 s by default) and was not yet written.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from shared.local_state import ensure_sqlite_folder
from shared.schema import FEATURES, Kind

log = logging.getLogger("level2.store")

METADATA = sa.MetaData()

PREDICTIONS = sa.Table(
    "predictions",
    METADATA,
    sa.Column("request_id", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),  # event time (now, or as the client says)
    sa.Column("served_at", sa.DateTime, nullable=False),
    sa.Column("model_version", sa.String(32), nullable=False),
    sa.Column("prediction", sa.Integer, nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
    *(sa.Column(f.name, sa.String(64) if f.kind is Kind.CATEGORICAL else sa.Float, nullable=True) for f in FEATURES),
)

LABELS = sa.Table(
    "labels",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(64), nullable=False, index=True),
    sa.Column("label", sa.Integer, nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
)


@dataclass(frozen=True)
class _Write:
    table: sa.Table
    row: dict[str, Any]


@dataclass(frozen=True)
class _Flush:
    done: threading.Event


_STOP = object()


def create_store_engine(url: str) -> sa.Engine:
    ensure_sqlite_folder(url)
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    METADATA.create_all(engine)
    return engine


class PredictionStore:
    """Append-only log of predictions and labels with a batching writer thread."""

    def __init__(self, url: str, flush_seconds: float = 0.2, max_batch: int = 2000) -> None:
        self.engine = create_store_engine(url)
        self.flush_seconds = flush_seconds
        self.max_batch = max_batch
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="prediction-store-writer", daemon=True)
        self._thread.start()

    def add_predictions(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._queue.put(_Write(PREDICTIONS, row))

    def add_labels(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._queue.put(_Write(LABELS, row))

    def flush(self, timeout: float = 30.0) -> None:
        """Block until everything queued before this call is written."""
        marker = _Flush(threading.Event())
        self._queue.put(marker)
        if not marker.done.wait(timeout):
            raise TimeoutError(f"prediction store did not flush within {timeout} s")

    def close(self) -> None:
        """Write everything still queued, then stop the writer."""
        self._queue.put(_STOP)
        self._thread.join()
        self.engine.dispose()

    def known_request_ids(self, ids: list[str]) -> set[str]:
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(PREDICTIONS.c.request_id).where(PREDICTIONS.c.request_id.in_(ids)))
            return {row[0] for row in found}

    def _run(self) -> None:
        stopping = False
        while not stopping:
            writes: list[_Write] = []
            flushes: list[_Flush] = []
            try:
                item = self._queue.get(timeout=self.flush_seconds)
            except queue.Empty:
                continue
            while True:
                if item is _STOP:
                    stopping = True
                elif isinstance(item, _Flush):
                    flushes.append(item)
                else:
                    writes.append(item)
                if len(writes) >= self.max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._write(writes)
            for marker in flushes:
                marker.done.set()

    def _write(self, writes: list[_Write], attempts: int = 5) -> None:
        for attempt in range(1, attempts + 1):
            try:
                self._insert(writes)
                return
            except sa.exc.SQLAlchemyError as error:
                log.error("prediction store write of %d rows failed (attempt %d): %s", len(writes), attempt, error)
                time.sleep(0.2 * attempt)
        log.critical("prediction store dropped %d rows after %d attempts", len(writes), attempts)

    def _insert(self, writes: list[_Write]) -> None:
        if not writes:
            return
        by_table: dict[str, list[dict[str, Any]]] = {}
        for write in writes:
            by_table.setdefault(write.table.name, []).append(write.row)
        with self.engine.begin() as conn:
            for name, rows in by_table.items():
                conn.execute(METADATA.tables[name].insert(), rows)


def read_log(engine: sa.Engine, since: datetime | None = None, until: datetime | None = None) -> pd.DataFrame:
    """Predictions in [since, until) joined with their latest label (null when none arrived yet)."""
    latest = (
        sa.select(LABELS.c.request_id, sa.func.max(LABELS.c.id).label("id")).group_by(LABELS.c.request_id).subquery()
    )
    label = sa.select(LABELS.c.request_id, LABELS.c.label).join(latest, LABELS.c.id == latest.c.id).subquery()
    query = sa.select(PREDICTIONS, label.c.label).outerjoin(label, label.c.request_id == PREDICTIONS.c.request_id)
    if since is not None:
        query = query.where(PREDICTIONS.c.created_at >= since)
    if until is not None:
        query = query.where(PREDICTIONS.c.created_at < until)
    with engine.connect() as conn:
        return pd.read_sql(query.order_by(PREDICTIONS.c.created_at), conn)
