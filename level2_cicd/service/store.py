"""The prediction log: every served prediction, every label and every rejected row, in any SQLAlchemy database.

Writes are batched by a background thread so they stay off the event loop: whatever arrived while
the last commit ran goes in the next one (group commit). Every ``add_*`` returns a future that is
done once its rows are committed, or fails with StoreWriteError when they could not be: the service
acknowledges a prediction or a label only after its future is done, so an acknowledged row is a
stored row, and an outage of the database is a 503, never a silent loss. A batch that fails is
retried while the store is healthy; once a batch has failed, each later batch gets one attempt
(waiting requests hear of the outage at once) until one succeeds. Failed rows are counted as
dropped and make the store unhealthy (the service's /ready says why) until a later write succeeds.
A write that neither succeeds nor fails (a database that hangs: a stopped server, a full disk, a
lock) makes it unhealthy too once it has waited ``stuck_seconds``: no error would ever say so.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
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
    rows: list[dict[str, Any]]
    stored: Future[None] = field(default_factory=Future)


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
        stuck_seconds: float = 10.0,
    ) -> None:
        self.on_settled: Callable[[], None] = lambda: None  # called by the writer after each batch's futures are set
        self.engine = create_store_engine(url)
        self.flush_seconds = flush_seconds
        self.max_batch = max_batch
        self.attempts = attempts
        self.on_dropped = on_dropped
        self.stuck_seconds = stuck_seconds
        self.dropped_rows = 0
        self.last_error: str | None = None
        self._writing_since: float | None = None  # time.monotonic() when the write under way began
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="prediction-store-writer", daemon=True)
        self._thread.start()

    def add_predictions(self, rows: list[dict[str, Any]]) -> Future[None]:
        return self._add(PREDICTIONS, rows)

    def add_shadows(self, rows: list[dict[str, Any]]) -> Future[None]:
        return self._add(SHADOW, rows)

    def add_labels(self, rows: list[dict[str, Any]]) -> Future[None]:
        return self._add(LABELS, rows)

    def add_rejections(self, rows: list[dict[str, Any]]) -> Future[None]:
        return self._add(REJECTIONS, rows)

    def _add(self, table: sa.Table, rows: list[dict[str, Any]]) -> Future[None]:
        """Queue the rows; the future is done when they are committed (fails with StoreWriteError if not)."""
        write = _Write(table, rows)
        if not rows:
            write.stored.set_result(None)
        elif not self._thread.is_alive():
            write.stored.set_exception(StoreWriteError(self.problem() or "prediction log writer stopped"))
        else:
            self._queue.put(write)
        return write.stored

    def problem(self) -> str | None:
        """Why the log cannot be trusted to store what it is given right now, or None."""
        if not self._thread.is_alive():
            return f"prediction log writer stopped ({self.last_error or 'no error recorded'})"
        since = self._writing_since
        if since is not None and time.monotonic() - since >= self.stuck_seconds:
            return f"a prediction log write has waited {time.monotonic() - since:.0f} s for the database (hung?)"
        return self.last_error

    def flush(self, timeout: float = 30.0) -> None:
        """Block until everything queued before this call is processed; raise StoreWriteError if the last batch
        failed (every write's own future says whether its rows were stored)."""
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
        while not stopping:
            writes: list[_Write] = []
            flushes: list[_Flush] = []
            try:
                item = self._queue.get(timeout=self.flush_seconds)
            except queue.Empty:
                continue
            rows = 0
            while True:
                if item is _STOP:
                    stopping = True
                elif isinstance(item, _Flush):
                    flushes.append(item)
                else:
                    writes.append(item)
                    rows += len(item.rows)
                if rows >= self.max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            error = self._write(writes)
            for write in writes:
                if error is None:
                    write.stored.set_result(None)
                else:
                    write.stored.set_exception(StoreWriteError(error))
            for marker in flushes:  # each failed write was reported to its own caller; a flush, of its batch
                marker.error = error
                marker.done.set()
            if writes:
                self._settled()

    def _settled(self) -> None:
        try:
            self.on_settled()
        except Exception as error:  # a listener's failure must not stop the writer (its futures are set already)
            log.error("prediction log listener failed: %s", error)

    def _write(self, writes: list[_Write]) -> str | None:
        """Insert with retries; never raises (the writer must outlive any error). Returns the error, if any."""
        if not writes:
            return None
        rows = sum(len(write.rows) for write in writes)
        attempts = self.attempts if self.last_error is None else 1  # in an outage, waiting requests hear it at once
        error: Exception | None = None
        for attempt in range(1, attempts + 1):
            self._writing_since = time.monotonic()
            try:
                self._insert(writes)
                if self.last_error is not None:
                    log.warning("prediction log writes again after: %s", self.last_error)
                self.last_error = None
                return None
            except Exception as failure:  # any error: a dead writer would lose every later row silently
                error = failure
                log.error("prediction log write of %d rows failed (attempt %d): %s", rows, attempt, failure)
                if attempt < attempts:
                    time.sleep(0.2 * attempt)
            finally:
                self._writing_since = None
        self.dropped_rows += rows
        self.last_error = f"prediction log could not store {rows} rows after {attempts} attempt(s): {error}"
        log.critical(self.last_error)
        self.on_dropped(rows)
        return self.last_error

    def _insert(self, writes: list[_Write]) -> None:
        by_table: dict[str, list[dict[str, Any]]] = {}
        for write in writes:
            by_table.setdefault(write.table.name, []).extend(write.rows)
        with self.engine.begin() as conn:
            for name, rows in by_table.items():
                conn.execute(METADATA.tables[name].insert(), rows)
