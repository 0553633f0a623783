"""The prediction log: every served prediction, every label and every rejected row, in any SQLAlchemy database.

Writes are batched by a background thread so they stay off the request path. Durability policy:
a clean shutdown flushes everything; a crash loses at most what arrived in the last
``flush_seconds`` (0.2 s by default) and was not yet written. A write that still fails after
retries is counted as dropped and makes the store unhealthy (the service's /ready says why) until
a later write succeeds; ``flush`` raises instead of pretending the rows were stored.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shared.prediction_log import (
    LABELS,
    METADATA,
    PREDICTIONS,
    REJECTIONS,
    SHADOW,
    create_store_engine,
)

log = logging.getLogger("level2.store")


class StoreWriteError(RuntimeError):
    """Rows could not be written (after retries); they were counted as dropped."""


@dataclass
class _Write:
    table: sa.Table
    row: dict[str, Any]


@dataclass
class _Flush:
    done: threading.Event = field(default_factory=threading.Event)
    error: str | None = None


_STOP = object()


class PredictionStore:
    """Append-only log of predictions, labels and rejections with a batching writer thread."""

    def __init__(
        self,
        url: str,
        flush_seconds: float = 0.2,
        max_batch: int = 2000,
        attempts: int = 5,
        on_dropped: Callable[[int], None] = lambda rows: None,
    ) -> None:
        self.engine = create_store_engine(url)
        self.flush_seconds = flush_seconds
        self.max_batch = max_batch
        self.attempts = attempts
        self.on_dropped = on_dropped
        self.dropped_rows = 0
        self.last_error: str | None = None
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="prediction-store-writer", daemon=True)
        self._thread.start()

    def add_predictions(self, rows: list[dict[str, Any]]) -> None:
        self._add(PREDICTIONS, rows)

    def add_shadows(self, rows: list[dict[str, Any]]) -> None:
        self._add(SHADOW, rows)

    def add_labels(self, rows: list[dict[str, Any]]) -> None:
        self._add(LABELS, rows)

    def add_rejections(self, rows: list[dict[str, Any]]) -> None:
        self._add(REJECTIONS, rows)

    def _add(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._queue.put(_Write(table, row))

    def problem(self) -> str | None:
        """Why the log cannot be trusted to store what it is given right now, or None."""
        if not self._thread.is_alive():
            return f"prediction log writer stopped ({self.last_error or 'no error recorded'})"
        return self.last_error

    def flush(self, timeout: float = 30.0) -> None:
        """Block until everything queued before this call is written; raise StoreWriteError if some was not."""
        if not self._thread.is_alive():
            raise StoreWriteError(self.problem() or "prediction log writer stopped")
        marker = _Flush()
        self._queue.put(marker)
        if not marker.done.wait(timeout):
            raise StoreWriteError(f"prediction log did not flush within {timeout} s")
        if marker.error is not None:
            raise StoreWriteError(marker.error)

    def close(self) -> None:
        """Write everything still queued, then stop the writer."""
        self._queue.put(_STOP)
        self._thread.join()
        self.engine.dispose()

    def served_times(self, ids: list[str]) -> dict[str, datetime]:
        """When each known request id was served (unknown ids are absent)."""
        with self.engine.connect() as conn:
            query = sa.select(PREDICTIONS.c.request_id, PREDICTIONS.c.served_at)
            return {row[0]: row[1] for row in conn.execute(query.where(PREDICTIONS.c.request_id.in_(ids)))}

    def existing_labels(self, ids: list[str]) -> dict[str, int]:
        """The label already stored for each of these request ids, if any."""
        with self.engine.connect() as conn:
            query = sa.select(LABELS.c.request_id, LABELS.c.label).where(LABELS.c.request_id.in_(ids))
            return {row[0]: int(row[1]) for row in conn.execute(query)}

    def _run(self) -> None:
        stopping = False
        unreported: str | None = None  # a failed write no flush has reported yet
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
            unreported = self._write(writes) or unreported
            for marker in flushes:
                marker.error = unreported
                marker.done.set()
            if flushes:
                unreported = None

    def _write(self, writes: list[_Write]) -> str | None:
        """Insert with retries; never raises (the writer must outlive any error). Returns the error, if any."""
        if not writes:
            return None
        error: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                self._insert(writes)
                self.last_error = None
                return None
            except Exception as failure:  # any error: a dead writer would lose every later row silently
                error = failure
                log.error("prediction log write of %d rows failed (attempt %d): %s", len(writes), attempt, failure)
                time.sleep(0.2 * attempt)
        self.dropped_rows += len(writes)
        self.last_error = f"prediction log dropped {len(writes)} rows after {self.attempts} attempts: {error}"
        log.critical(self.last_error)
        self.on_dropped(len(writes))
        return self.last_error

    def _insert(self, writes: list[_Write]) -> None:
        by_table: dict[str, list[dict[str, Any]]] = {}
        for write in writes:
            by_table.setdefault(write.table.name, []).append(write.row)
        with self.engine.begin() as conn:
            for name, rows in by_table.items():
                conn.execute(METADATA.tables[name].insert(), rows)
