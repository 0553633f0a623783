"""The monitor's memory between runs, in the prediction-store database every worker and deployment shares.

One row per judged window and one per retraining, keyed by (kind, day): re-running a day replaces
its row instead of adding one, and concurrent monitors write through the database's own locking.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from level2_cicd.monitoring.decision import Decision, Status
from shared.prediction_log import METADATA, create_store_engine, naive_utc


class RecordKind(StrEnum):
    """The kinds of record the history keeps, one per (kind, day)."""

    WINDOW = "window"  # a judged day: its status and reason
    RETRAINING = "retraining"  # what a retraining after a decision became (retraining.py)
    LIVE_TEST = "live_test"  # the day's verdict on a challenger under A/B or shadow


class Retraining(StrEnum):
    """What a retraining after a decision became (level2_cicd/monitoring/retraining.py)."""

    PROMOTED = "promoted"  # the new champion
    CHALLENGER = "challenger"  # tested on live traffic before it may serve everyone
    NOT_PROMOTED = "not_promoted"  # registered; a gate (or the champion on the same holdout) kept it out
    REFUSED = "refused"  # no candidate: the data gate refused the window
    DISPATCHED = "dispatched"  # sent to CI (`retrain_by: ci`), which trains it and replaces this record


# A retraining that produced no candidate starts no cooldown: the next monitored day tries again.
STARTS_THE_COOLDOWN = frozenset(set(Retraining) - {Retraining.REFUSED})


HISTORY = sa.Table(
    "monitoring_history",
    METADATA,
    sa.Column("kind", sa.String(16), primary_key=True),  # a RecordKind
    sa.Column("day", sa.Integer, primary_key=True),  # day number on the data source's calendar
    sa.Column("status", sa.String(32), nullable=True),
    sa.Column("details", sa.Text, nullable=False),  # the whole record, as JSON
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)


class MonitoringHistory:
    def __init__(self, store_url: str) -> None:
        self.engine = create_store_engine(store_url)

    def close(self) -> None:
        self.engine.dispose()

    def records(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(HISTORY.c.details).order_by(HISTORY.c.day, HISTORY.c.kind.desc()))
            return [json.loads(row[0]) for row in rows]

    def append(self, record: dict[str, Any]) -> None:
        """Record a window or a retraining; the same (kind, day) again replaces the earlier record."""
        row = {
            "kind": record["kind"],
            "day": int(record["day"]),
            "status": record.get("status"),
            "details": json.dumps(record, default=str),
            "recorded_at": naive_utc(),
        }
        with self.engine.begin() as conn:
            conn.execute(sa.delete(HISTORY).where(HISTORY.c.kind == row["kind"], HISTORY.c.day == row["day"]))
            conn.execute(sa.insert(HISTORY).values(**row))

    def record_window(self, day: int, decision: Decision) -> None:
        self.append(
            {"kind": RecordKind.WINDOW.value, "day": day, "status": decision.status.value, "reason": decision.reason}
        )

    def windows_since_last_retraining(self) -> list[tuple[int, Status]]:
        """(day, status) of the windows judged after the newest retraining."""
        last = self.last_retrain_day()
        return [
            (int(r["day"]), Status(r["status"]))
            for r in self.records()
            if r.get("kind") == RecordKind.WINDOW and (last is None or int(r["day"]) > last)
        ]

    def last_retrain_day(self) -> int | None:
        """The newest retraining that produced a candidate (or was sent to CI): a refused one starts no cooldown."""
        days = [
            int(r["day"]) for r in self.records() if r.get("kind") == RecordKind.RETRAINING and _made_a_candidate(r)
        ]
        return max(days) if days else None


def _made_a_candidate(record: dict[str, Any]) -> bool:
    status = record.get("status")
    if status is None:  # a record of an older version: an "error" was a refused window
        return "error" not in record
    return Retraining(status) in STARTS_THE_COOLDOWN
