"""The service's client in the level 2 demo and `make replay`: a day's traffic through /predict, labels through
/feedback later, and the wait for a hot swap."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pandas as pd
from pydantic import SecretStr

from shared.data.source import DataSource
from shared.schema import ID_COLUMN, LABEL_COLUMN, TIME_COLUMN
from shared.settings import Settings

CHUNK = 500  # rows per /predict request


class Traffic:
    """Sends each day's rows of a data source to the service and, later, the labels the source knows."""

    def __init__(
        self, client: httpx.Client, source: DataSource, label_delay_days: int, settings: Settings, chunk: int = CHUNK
    ) -> None:
        self.client = client
        self.chunk = chunk
        self.source = source
        self.scoring = bearer(settings.scoring_token)
        self.labels = bearer(settings.labels_token)
        self.delay = label_delay_days
        self.pending: dict[int, list[dict[str, Any]]] = {}
        self.truth: dict[str, tuple[int, int]] = {}  # request id -> (day, true label), for offline scoring
        self.refused = 0  # rows the service refused (422): counted, not resent
        self.source_has_ids = False  # the rows carry the table's id: sent as the request's ids

    def send_day(self, day: int) -> int:
        """Send the day's rows as the upstream system has them (broken ones too); returns rows sent."""
        calendar = self.source.calendar
        frame = self.source.rows(calendar.date_of(day), calendar.date_of(day))
        rows, labels = client_records(frame), frame[LABEL_COLUMN].tolist()
        self.source_has_ids = ID_COLUMN in frame
        keys = frame[ID_COLUMN].astype(str).tolist() if self.source_has_ids else [str(i) for i in range(len(frame))]
        event_time = calendar.start_of(day).isoformat()
        self.pending[day] = []
        for start in range(0, len(rows), self.chunk):
            end = start + self.chunk
            chunk = list(zip(rows[start:end], labels[start:end], keys[start:end], strict=True))
            routing = {"X-Routing-Key": keys[start]}  # a request is one customer's: A/B keeps them on one variant
            for prediction, label in self._predict(chunk, event_time, routing):
                if pd.notna(label):  # a label the source does not know yet is never sent
                    self.pending[day].append({"request_id": prediction["request_id"], "label": int(label)})
        self.truth |= {item["request_id"]: (day, item["label"]) for item in self.pending[day]}
        return len(rows)

    def _predict(
        self, chunk: list[tuple[dict[str, Any], int, str]], event_time: str, routing: dict[str, str]
    ) -> list[tuple[dict[str, Any], int]]:
        """Score a chunk (rows with their ids: the monitor compares them with the source's own rows); when the
        service refuses rows (422), resend the others, as a tolerant client would."""
        body: dict[str, Any] = {"rows": [row for row, _, _ in chunk], "event_time": event_time}
        if self.source_has_ids:
            body["ids"] = [key for _, _, key in chunk]
        response = self.client.post("/predict", json=body, headers=self.scoring | routing)
        if response.status_code == 422:
            refused = {e["loc"][2] for e in response.json()["detail"] if e["loc"][:2] == ["body", "rows"]}
            if not refused:
                response.raise_for_status()
            self.refused += len(refused)
            kept = [item for i, item in enumerate(chunk) if i not in refused]
            return self._predict(kept, event_time, routing) if kept else []
        response.raise_for_status()
        return list(zip(response.json()["predictions"], [label for _, label, _ in chunk], strict=True))

    def release_labels(self, today: int) -> None:
        """Labels of the day ``delay`` days ago arrive today."""
        self._send_labels(self.pending.pop(today - self.delay, []))

    def release_labels_through(self, day: int) -> int:
        """Every held label of ``day`` and the days before it; returns how many were sent."""
        due = [held for held in sorted(self.pending) if held <= day]
        labels = [label for held in due for label in self.pending.pop(held)]
        self._send_labels(labels)
        return len(labels)

    def _send_labels(self, labels: list[dict[str, Any]]) -> None:
        for start in range(0, len(labels), 5000):
            body = {"labels": labels[start : start + 5000]}
            self.client.post("/feedback", json=body, headers=self.labels).raise_for_status()


def bearer(token: SecretStr | None) -> dict[str, str]:
    """The Authorization header for a role's token, when the service requires one."""
    return {"Authorization": f"Bearer {token.get_secret_value()}"} if token is not None else {}


def client_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows a client sends: every column it has but the id, time and label, JSON-ready (missing -> null)."""
    columns = [c for c in frame.columns if c not in (ID_COLUMN, TIME_COLUMN, LABEL_COLUMN)]

    def plain(value: Any) -> Any:
        if value is None or (isinstance(value, float) and value != value):
            return None
        return value.item() if hasattr(value, "item") else value

    return [{str(c): plain(v) for c, v in row.items()} for row in frame[columns].to_dict("records")]


class ServedVersionError(RuntimeError):
    """The service did not pick up the registry's version in time: the loop's timeline would be wrong."""


def wait_for_version(client: httpx.Client, version: str, timeout: float = 30, role: str = "champion") -> str:
    """Poll /model until the service serves ``version`` as ``role`` (hot swap); returns it, or raises on timeout."""

    def served() -> str:
        model = client.get("/model").json()
        return str(model["version"] if role == "champion" else (model["challenger"] or {}).get("version"))

    deadline = time.monotonic() + timeout
    now = served()
    while now != version:
        if time.monotonic() > deadline:
            model = client.get("/model").json()
            why = model.get("challenger_error" if role == "challenger" else "last_error") or "no loading error reported"
            message = f"the service still serves {now} as {role} {timeout:.0f} s after the registry named {version}"
            raise ServedVersionError(f"{message} ({why})")
        time.sleep(0.2)
        now = served()
    return now
