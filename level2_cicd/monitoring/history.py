"""The monitor's memory between runs: one JSON line per window decision and per retraining."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from level2_cicd.monitoring.decision import Status


class MonitoringHistory:
    def __init__(self, path: Path) -> None:
        self.path = path

    def records(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def append(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as out:
            out.write(json.dumps(record, default=str) + "\n")

    def windows_since_last_retraining(self) -> list[tuple[int, Status]]:
        """(day, status) of the windows judged after the newest retraining."""
        last = self.last_retrain_day()
        return [
            (int(r["day"]), Status(r["status"]))
            for r in self.records()
            if r.get("kind") == "window" and (last is None or int(r["day"]) > last)
        ]

    def last_retrain_day(self) -> int | None:
        days = [int(r["day"]) for r in self.records() if r.get("kind") == "retraining"]
        return max(days) if days else None
