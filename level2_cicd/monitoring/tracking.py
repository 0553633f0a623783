"""MLflow adapter of the monitor: one run per monitored window, with its facts, decision and report."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from level2_cicd.monitoring.decision import Decision, WindowSummary
from level2_cicd.monitoring.outcome import LiveTest
from level2_cicd.monitoring.release_judge import Verdict
from shared.registry import VersionRef
from shared.settings import Settings
from shared.tracking import ensure_experiment

TAG_LIMIT = 5000  # characters MLflow keeps in a tag value


@dataclass(frozen=True)
class MonitoredWindow:
    champion_version: str
    summary: WindowSummary
    status: str
    when: date
    logged: dict[str, Any]  # summary.json: the window's facts, the decision, a live test's verdict
    verdict: Verdict | None  # a live test's, if one ran


def log_window_run(experiment_id: str, window: MonitoredWindow, report: Path | None) -> str:
    """Log the window as a finished run of ``experiment_id``; returns the run id."""
    from mlflow import MlflowClient

    client = MlflowClient()
    summary = window.summary
    tags = {"champion_version": window.champion_version, "day": str(summary.day), "date": str(window.when)}
    run_id = str(
        client.create_run(
            experiment_id, run_name=f"monitor-{window.when}", tags=tags | {"status": window.status}
        ).info.run_id
    )
    metrics = {"drift_share": summary.drift_share, "drift_weight": summary.drift_weight, "roc_auc": summary.roc_auc}
    metrics["rejected_share"] = summary.rejected_share
    metrics |= {"holdout_roc_auc": summary.holdout_roc_auc, "drop_vs_holdout": summary.drop_vs_holdout}
    metrics["skew_max_share"] = max(summary.skew.values(), default=0.0) if summary.skew_rows else None
    for key, value in metrics.items():
        if value is not None:
            client.log_metric(run_id, key, float(value), step=summary.day)
    if window.verdict is not None:
        client.set_tag(run_id, "live_test", f"{window.verdict.action}: {window.verdict.reason}"[:TAG_LIMIT])
        if window.verdict.comparison is not None:
            client.log_metric(
                run_id, "live_test_auc_difference", window.verdict.comparison.difference, step=summary.day
            )
    client.log_dict(run_id, window.logged, "summary.json")
    if report is not None:
        client.log_artifact(run_id, str(report))
    client.set_terminated(run_id)
    return run_id


def log_day(
    settings: Settings,
    champion: VersionRef,
    summary: WindowSummary,
    decision: Decision,
    when: date,
    live: LiveTest | None,
) -> str:
    """One monitoring run per day, in an experiment of its own (the champion's training run stays as it ended)."""
    experiment_id = ensure_experiment(settings, f"{settings.experiment_name}-monitoring")
    logged = summary.as_dict() | {"decision": asdict(decision)}
    if live is not None:
        logged["live_test"] = {"mode": live.mode, "challenger": live.challenger} | live.verdict.as_dict()
    report = settings.level2_dir / "reports" / f"day-{summary.day:03d}" / "drift.html"
    window = MonitoredWindow(champion.version, summary, decision.status, when, logged, live.verdict if live else None)
    return log_window_run(experiment_id, window, report if report.is_file() else None)
