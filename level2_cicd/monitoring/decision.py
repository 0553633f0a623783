"""Pure monitoring logic: what one window says (ok / drift / decay), and whether to retrain."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from level2_cicd.monitoring.policy import MonitoringPolicy


class Status(StrEnum):
    OK = "ok"
    DRIFT = "drift"
    DECAY = "decay"
    DATA_QUALITY = "data_quality"
    SKEW = "skew"  # served inputs differ from the source's own rows: a pipeline fault, never a retraining
    INSUFFICIENT = "insufficient"


@dataclass(frozen=True)
class WindowSummary:
    """The compact facts of one monitoring window (one simulated or real day)."""

    day: int
    rows: int
    drift_share: float | None
    drifted_columns: tuple[str, ...]
    labelled_rows: int
    roc_auc: float | None
    quality: dict[str, float] = field(default_factory=dict)
    rejected_rows: int = 0  # rows the service refused for breaking the schema
    rejected_by_rule: dict[str, int] = field(default_factory=dict)  # "field: rule" -> rows
    # each drifted column's share of the serving version's reliance (shared/reliance.py); empty: none known
    drifted_reliance: dict[str, float] = field(default_factory=dict)
    labels_of: str = ""  # the date whose predictions' labels are judged today (the day minus the label delay)
    labels_due: str = ""  # the date this day's own labels are due
    holdout_roc_auc: float | None = None  # the serving version's offline ROC AUC on its own holdout
    skew_rows: int = 0  # rows served with an id the source holds for the day (monitoring/skew.py)
    skew: dict[str, float] = field(default_factory=dict)  # column -> share of those rows served otherwise

    @property
    def drop_vs_holdout(self) -> float | None:
        """How far live ROC AUC falls below the version's offline holdout ROC AUC (negative: above it)."""
        if self.roc_auc is None or self.holdout_roc_auc is None:
            return None
        return self.holdout_roc_auc - self.roc_auc

    @property
    def drift_weight(self) -> float | None:
        """The share of the model's reliance that drifted; the share of columns for a version without reliance."""
        if self.drift_share is None or not self.drifted_reliance:
            return self.drift_share
        return sum(self.drifted_reliance.values())

    @property
    def rejected_share(self) -> float:
        offered = self.rows + self.rejected_rows
        return self.rejected_rows / offered if offered else 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    day: int
    status: Status
    retrain: bool
    reason: str
    retrain_window: tuple[int, int] | None = None


def classify(summary: WindowSummary, policy: MonitoringPolicy) -> tuple[Status, str]:
    """Broken data outranks everything (nothing else is trustworthy), then skew (inputs served otherwise than the
    source holds them); decay outranks drift; few rows decide nothing."""
    if summary.rejected_share > policy.data_quality.max_rejected_share:
        worst = sorted(summary.rejected_by_rule.items(), key=lambda item: -item[1])[:2]
        rules = ", ".join(f"{name} ({rows})" for name, rows in worst)
        limit = policy.data_quality.max_rejected_share
        return Status.DATA_QUALITY, f"{summary.rejected_share:.0%} of rows refused (> {limit:.0%}): {rules}"
    skewed = {c: share for c, share in summary.skew.items() if share > policy.skew.max_mismatch_share}
    if summary.skew_rows >= policy.skew.min_rows and skewed:
        named = ", ".join(f"{c} differs on {share:.0%}" for c, share in sorted(skewed.items(), key=lambda i: -i[1]))
        limit = policy.skew.max_mismatch_share
        return (
            Status.SKEW,
            f"training-serving skew on {summary.skew_rows} rows the source also holds: {named} (> {limit:.0%})",
        )
    quality = policy.quality
    judged = summary.roc_auc is not None and summary.labelled_rows >= quality.min_labelled_rows
    if judged and summary.roc_auc is not None and summary.roc_auc < quality.min_roc_auc:
        return Status.DECAY, f"live ROC AUC {summary.roc_auc:.3f} < {quality.min_roc_auc:.3f}"
    drop = summary.drop_vs_holdout
    if judged and drop is not None and drop > quality.max_drop_vs_holdout:
        return Status.DECAY, (
            f"live ROC AUC {summary.roc_auc:.3f} is {drop:.3f} below the version's holdout "
            f"{summary.holdout_roc_auc:.3f} (> {quality.max_drop_vs_holdout:.3f})"
        )
    not_judged = "" if judged else f"; {_quality_not_judged(summary, quality.min_labelled_rows)}"
    if summary.rows < policy.min_rows or summary.drift_share is None:
        return Status.INSUFFICIENT, f"{summary.rows} rows < {policy.min_rows}{not_judged}"
    weight, named = summary.drift_weight or 0.0, _drifted(summary)
    if weight > policy.drift.max_drifted_share:
        limit = policy.drift.max_drifted_share
        reason = f"drifted columns carry {weight:.0%} of the model's reliance (> {limit:.0%}): {named}"
        return Status.DRIFT, reason + not_judged
    drifted = f"drifted columns carry {weight:.0%} of the model's reliance" + (f": {named}" if named else "")
    return Status.OK, drifted + not_judged


def _quality_not_judged(summary: WindowSummary, needed: int) -> str:
    """Why quality was not judged: too few labelled predictions of the day whose labels are due (say which)."""
    served = f" served on {summary.labels_of}" if summary.labels_of else ""
    own = f"; this day's own labels are due {summary.labels_due}" if summary.labels_due else ""
    return f"quality not judged: {summary.labelled_rows} labelled predictions{served} (< {needed}){own}"


def _drifted(summary: WindowSummary) -> str:
    """The drifted columns with their weight, heaviest first (without reliance: by name, each an equal share)."""
    if not summary.drifted_reliance:
        return ", ".join(summary.drifted_columns)
    heaviest = sorted(summary.drifted_reliance.items(), key=lambda item: -item[1])
    return ", ".join(f"{column} {share:.0%}" for column, share in heaviest)


def _alarm_start(windows: list[tuple[int, Status]], label_delay_days: int) -> tuple[int, int] | None:
    """First day the world changed, by the evidence of the alarming streak ending now, and its length.

    Drift is seen on the day it happens; decay is seen when the labels of predictions made
    ``label_delay_days`` earlier arrive, so its evidence dates back to that day.
    """
    evidence: list[int] = []
    for day, status in reversed(windows):
        if status not in (Status.DRIFT, Status.DECAY):
            break
        evidence.append(day - label_delay_days if status is Status.DECAY else day)
    return (min(evidence), len(evidence)) if evidence else None


def decide_day(
    summary: WindowSummary,
    since_last_retraining: list[tuple[int, Status]],
    last_retrain_day: int | None,
    label_delay_days: int,
    policy: MonitoringPolicy,
) -> Decision:
    """Classify the day, then decide on it with the windows since the last retraining (a re-run replaces the day)."""
    status, reason = classify(summary, policy)
    windows = [*(w for w in since_last_retraining if w[0] != summary.day), (summary.day, status)]
    return decide(windows, last_retrain_day, label_delay_days, policy, reason)


def decide(
    windows: list[tuple[int, Status]],
    last_retrain_day: int | None,
    label_delay_days: int,
    policy: MonitoringPolicy,
    reason: str,
) -> Decision:
    """Whether the newest window (last of ``windows``, those since the last retraining) calls for retraining.

    The alarm is raised on the first drifting or decaying window; retraining starts once the alarm
    has lasted ``consecutive_windows`` windows, no cooldown holds, and the labels of
    ``min_labelled_days_after_alarm`` days since the alarm have arrived, so the new model can
    learn the new world. It trains on the newest ``retrain_window_days`` labelled days.
    """
    day, status = windows[-1]
    if status is Status.DATA_QUALITY:
        return Decision(day, status, False, f"{reason}; ALARM: fix the data, no retraining")
    if status is Status.SKEW:
        return Decision(day, status, False, f"{reason}; ALARM: fix the serving pipeline, no retraining on its inputs")
    alarm = _alarm_start(windows, label_delay_days)
    if alarm is None:
        return Decision(day, status, False, reason)
    alarm_day, length = alarm
    if length < policy.consecutive_windows:
        return Decision(day, status, False, f"{reason}; alarm {length}/{policy.consecutive_windows} windows")
    if last_retrain_day is not None and day - last_retrain_day < policy.cooldown_days:
        wait = policy.cooldown_days - (day - last_retrain_day)
        return Decision(day, status, False, f"{reason}; cooldown after day {last_retrain_day}: {wait} days left")
    newest_labelled = day - label_delay_days
    labelled_days = newest_labelled - alarm_day + 1
    if labelled_days < policy.min_labelled_days_after_alarm:
        waiting = f"labels of {max(labelled_days, 0)}/{policy.min_labelled_days_after_alarm} days since day {alarm_day}"
        return Decision(day, status, False, f"{reason}; alarm since day {alarm_day}, waiting for {waiting}")
    window = (newest_labelled - policy.retrain_window_days + 1, newest_labelled)
    return Decision(
        day, status, True, f"{reason}; alarm since day {alarm_day}: retrain on days {window[0]}-{window[1]}", window
    )
