"""A retraining after a decision, done once for both who may do it (the monitor's flow, or CI's `make retrain`), and
what it became, said in one line: which gate, and the numbers.

A retraining that produced no candidate (the data gate refused the window) does not start the cooldown: the next
monitored day tries again, and the line says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from level1_pipeline.data_gate_report import DataGateError, DataGateReport
from level1_pipeline.flow import training_flow
from level1_pipeline.outcome import Became, TrainingOutcome
from level2_cicd.monitoring.decision import Decision
from level2_cicd.monitoring.history import RecordKind, Retraining
from shared.data.source import Calendar
from shared.data.windows import DataWindow
from shared.settings import Settings, retraining_overrides


@dataclass(frozen=True)
class RetrainingResult:
    result: Retraining
    explanation: str  # one line: what it became and why
    version: str | None = None
    champion_after: str | None = None
    became: Became | None = None

    def record(self, day: int, by: str) -> dict[str, Any]:
        """The monitoring history's record of it (one per monitored day: a re-run replaces it)."""
        facts = {"kind": RecordKind.RETRAINING.value, "day": day, "by": by, "status": self.result.value}
        return facts | {
            "version": self.version,
            "promoted": self.result is Retraining.PROMOTED,
            "reason": self.explanation,
        }


def refused(report: DataGateReport, window: str, policy_file: str) -> RetrainingResult:
    """The data gate refused the window: no candidate, no cooldown."""
    why = "; ".join(str(failure) for failure in report.failures) or report.summary()
    explanation = (
        f"retraining on {window} refused by the data gate ({policy_file}): {why}; no candidate, so no cooldown: "
        "the next monitored day tries again"
    )
    return RetrainingResult(Retraining.REFUSED, explanation)


def trained(outcome: TrainingOutcome) -> RetrainingResult:
    """What the trained candidate became, with the gate's numbers."""
    reasons = "; ".join(outcome.gate_reasons)
    if outcome.became is Became.CHAMPION:
        result, said = Retraining.PROMOTED, f"promoted to champion ({reasons})"
    elif outcome.became is Became.CHALLENGER:
        result, said = Retraining.CHALLENGER, f"the challenger, tested on live traffic before it may serve ({reasons})"
    else:
        result, said = Retraining.NOT_PROMOTED, f"registered, not promoted: {reasons}"
    explanation = f"retrained on {outcome.window}: version {outcome.version} {said}"
    return RetrainingResult(result, explanation, outcome.version, outcome.champion_version, outcome.became)


def dispatched(first: date, last: date) -> RetrainingResult:
    return RetrainingResult(Retraining.DISPATCHED, f"retraining on {first}..{last} sent to CI (retrain_by: ci)")


def retrain(settings: Settings, last_day: date, days: int, params: dict[str, Any] | None = None) -> RetrainingResult:
    """Train the window through the same gates as every training (the level 1 flow); never raises for a refusal."""
    try:
        outcome = training_flow(
            last_day=last_day, days=days, params=params, settings_overrides=retraining_overrides(settings)
        )
    except DataGateError as failed:
        window = DataWindow.ending_on(last_day, days)
        return refused(failed.report, str(window), str(settings.training_policy_file))
    return trained(outcome)


def chosen_window(calendar: Calendar, decision: Decision) -> DataWindow:
    """The newest fully labelled window the decision chose to retrain on (the decision's day numbers as dates)."""
    assert decision.retrain_window is not None, "only a decision to retrain chooses a window"
    first, last = decision.retrain_window
    return DataWindow(calendar.date_of(first), calendar.date_of(last))
