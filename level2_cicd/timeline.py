"""The level 2 demo's timeline: one record per simulated day, and the line a terminal shows for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from level1_pipeline.outcome import Became
from shared.release_policy import Action

if TYPE_CHECKING:
    from level2_cicd.monitoring.outcome import MonitoringOutcome


@dataclass(frozen=True)
class DayRecord:
    """One line of the timeline."""

    day: int
    rows: int
    drift_share: float | None
    live_roc_auc: float | None
    status: str
    served_version: str
    retrained: bool
    new_version: str | None
    promoted: bool | None
    reason: str
    became: Became | None = None  # what the retrained version became
    live_test: str | None = None  # the day's verdict on a challenger under a live test
    live_action: Action | None = None
    retraining: str | None = None  # what the retraining became, in one line (a refused one made no version)


def day_record(outcome: MonitoringOutcome, rows: int, served: str) -> DayRecord:
    live = outcome.live_test
    return DayRecord(
        day=outcome.day,
        rows=rows,
        drift_share=outcome.summary.drift_share,
        live_roc_auc=outcome.summary.roc_auc,
        status=outcome.decision.status.value,
        served_version=served,
        retrained=outcome.retrained,
        new_version=outcome.new_version,
        promoted=outcome.promoted,
        reason=outcome.decision.reason,
        became=outcome.became,
        live_test=f"{live.mode} v{live.challenger}: {live.verdict.reason}" if live else None,
        live_action=live.verdict.action if live else None,
        retraining=outcome.retraining,
    )


HEADER = f"{'day':>4} {'rows':>6} {'drift':>6} {'AUC':>6}  {'decision':<12} {'serving':>7}  note"


def format_row(r: DayRecord) -> str:
    drift = f"{r.drift_share:.0%}" if r.drift_share is not None else "-"
    auc = f"{r.live_roc_auc:.3f}" if r.live_roc_auc is not None else "-"
    note = r.reason if r.status != "ok" else ""
    if r.live_test is not None:
        shown = {Action.PROMOTE: "PROMOTED after its live test", Action.STOP: "STOPPED", Action.CONTINUE: "live test"}
        note = f"{shown[r.live_action] if r.live_action else ''} {r.live_test}"
    if r.retrained and r.new_version is None:  # no candidate: the data gate's numbers, and no cooldown
        note = f"RETRAINING REFUSED: {r.retraining}; {r.reason}"
    elif r.retrained:
        verdict = "promoted" if r.promoted else "NOT promoted (failed a gate)"
        if r.became is Became.CHALLENGER:
            verdict = "CHALLENGER (a live test decides)"
        note = f"RETRAINED -> v{r.new_version} {verdict}; {r.reason}"  # why it retrained, on which days
    return f"{r.day:>4} {r.rows:>6} {drift:>6} {auc:>6}  {r.status:<12} {'v' + r.served_version:>7}  {note}"
