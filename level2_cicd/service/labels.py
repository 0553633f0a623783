"""Label intake: which of the labels a client sends are stored, and why the others are refused (pure rules).

One label per request id: the same label again is accepted but not stored twice; a different one is a
conflict. A label must name a logged prediction served within the data policy's horizon. A request with
any refused label stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

SHOWN = 10  # ids named in a refusal at most


class LabelRefusedError(Exception):
    """Why a request's labels are refused: HTTP status, the kind counted by the metrics, how many, the message."""

    def __init__(self, status: int, kind: str, count: int, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.count, self.message = status, kind, count, message  # kind: for the metrics


def distinct_labels(given: Iterable[tuple[str, int]]) -> dict[str, int]:
    """The request's labels by request id; the same id with two different labels is a conflict."""
    labels: dict[str, int] = {}
    for request_id, label in given:
        if labels.setdefault(request_id, label) != label:
            message = "the same request_id is given two different labels in this request"
            raise LabelRefusedError(409, "conflict", 1, message)
    return labels


def labels_to_store(
    labels: Mapping[str, int],
    served: Mapping[str, datetime],
    existing: Mapping[str, int],
    now: datetime,
    horizon_days: int,
    horizon_source: str,
) -> dict[str, int]:
    """The labels not stored yet, or a refusal: unknown ids, predictions older than the horizon, conflicts.

    ``served``: when each known id's prediction was served; ``existing``: labels already stored.
    """
    unknown = sorted(set(labels) - set(served))
    if unknown:
        raise LabelRefusedError(404, "unknown", len(unknown), f"unknown request_id(s): {', '.join(unknown[:SHOWN])}")
    too_old = sorted(i for i, at in served.items() if i in labels and now - at > timedelta(days=horizon_days))
    if too_old:
        where = f"label_horizon_days = {horizon_days} in {horizon_source}"
        message = f"predictions served more than {horizon_days} days ago ({where}): {too_old[:SHOWN]}"
        raise LabelRefusedError(422, "too_old", len(too_old), message)
    conflicts = sorted(i for i, label in labels.items() if i in existing and existing[i] != label)
    if conflicts:
        message = f"request_id(s) already labelled differently: {', '.join(conflicts[:SHOWN])}"
        raise LabelRefusedError(409, "conflict", len(conflicts), message)
    return {i: label for i, label in labels.items() if i not in existing}
