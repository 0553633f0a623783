"""MLflow adapter of the monitor: one run per monitored window, with its facts, decision and report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from level2_cicd.monitoring.decision import WindowSummary
from level2_cicd.monitoring.release_judge import Verdict

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
