"""What one monitored day did: its facts, its decision, a live test's verdict, and a retraining's result."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from level1_pipeline.outcome import Became
from level2_cicd.monitoring.decision import Decision, WindowSummary
from level2_cicd.monitoring.history import RecordKind, Retraining
from level2_cicd.monitoring.release_judge import Verdict
from level2_cicd.monitoring.retraining import RetrainingResult


@dataclass(frozen=True)
class LiveTest:
    """The day's verdict on a challenger under A/B or shadow, and what it changed."""

    mode: str
    challenger: str
    verdict: Verdict
    champion_after: str

    def record(self, day: int) -> dict[str, Any]:
        """The monitoring history's record of it (one per monitored day: a re-run replaces it)."""
        test = {"mode": self.mode, "challenger": self.challenger, "champion_after": self.champion_after}
        return {"kind": RecordKind.LIVE_TEST.value, "day": day} | test | self.verdict.as_dict()


@dataclass(frozen=True)
class MonitoringOutcome:
    day: int
    summary: WindowSummary
    decision: Decision
    champion_before: str | None
    champion_after: str | None
    retrained: bool
    new_version: str | None = None
    promoted: bool | None = None
    retraining: str | None = None  # what the retraining became, in one line (retraining.py)
    live_test: LiveTest | None = None  # a challenger was under a live test this day
    became: Became | None = None  # what the retrained version became
    date: str = ""  # the day's date (ISO): what people read; ``day`` numbers it within the source

    def after(self, done: RetrainingResult) -> MonitoringOutcome:
        """This day once the retraining its decision asked for is done (or sent to CI)."""
        if done.result is Retraining.DISPATCHED:
            return replace(self, retraining=done.explanation)
        return replace(
            self,
            retrained=True,
            new_version=done.version,
            promoted=done.result is Retraining.PROMOTED,
            champion_after=done.champion_after or self.champion_after,
            became=done.became,
            retraining=done.explanation,
        )
