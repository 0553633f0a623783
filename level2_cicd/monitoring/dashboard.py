"""Evidently 0.7 workspace adapter: every monitored window adds its snapshots to a live dashboard.

`make dashboard` serves the workspace with Evidently's own UI (`evidently ui`) on 127.0.0.1. Per
window: the drift snapshot (share of drifted features, each feature's drift score), an Evidently
ROC AUC on the window's labelled predictions, and the window's service facts (rejected-row share,
served version) as an Evidently report of one row. Re-monitoring a day replaces its snapshots.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from shared.schema import FEATURE_NAMES

if TYPE_CHECKING:
    from level2_cicd.monitoring.decision import WindowSummary
    from level2_cicd.monitoring.drift import DriftResult
    from level2_cicd.monitoring.inputs import LoggedWindow
    from shared.settings import Settings

PANELS_TAB = "Monitoring"
FACTS = ("rejected_share", "served_version")


@dataclass(frozen=True)
class WindowFacts:
    day: int
    when: datetime
    rejected_share: float
    served_version: str


def workspace_folder(state_path: Path) -> Path:
    """One workspace for every level 2 folder (yours and the demo's): a project per registered model."""
    return state_path / "evidently"


def publish_window(
    folder: Path, project_name: str, facts: WindowFacts, drift_snapshot: Any | None, labelled: pd.DataFrame
) -> list[str]:
    """Add the window's snapshots (replacing an earlier run of the same day); returns their ids."""
    folder.mkdir(parents=True, exist_ok=True)
    workspace = _workspace(folder.resolve())
    project = _project(workspace, project_name)
    index = _Index(folder / f"{project.id}-windows.json")
    for old in index.pop(facts.day):
        workspace.delete_run(project.id, old)
    snapshots = [s for s in (drift_snapshot, _quality(labelled, facts), _facts(facts)) if s is not None]
    ids = [str(workspace.add_run(project.id, snapshot).id) for snapshot in snapshots]
    index.put(facts.day, ids)
    return ids


def publish_day(
    settings: Settings, summary: WindowSummary, window: LoggedWindow, drift: DriftResult | None, version: str
) -> list[str]:
    """The monitored day in the workspace of its registered model: its drift, live quality and service facts."""
    facts = WindowFacts(summary.day, window.start, summary.rejected_share, version)
    snapshot = drift.snapshot if drift else None
    return publish_window(workspace_folder(settings.state_path), settings.model_name, facts, snapshot, window.labelled)


_OPENED: dict[Path, Any] = {}


def _workspace(folder: Path) -> Any:
    """The folder's workspace, opened once per process while its projects stay on disk.

    Opening reads every snapshot stored so far: per window, that made a level 2 run's monitoring quadratic
    in its days (0.36 s a window after 18 days, 7 % of `make level2`'s CPU, py-spy).
    """
    from evidently.ui.workspace import Workspace

    opened = _OPENED.get(folder)
    if opened is None or not all((folder / str(p.id)).is_dir() for p in opened.list_projects()):
        opened = _OPENED[folder] = Workspace(str(folder))
    return opened


def _project(workspace: Any, name: str) -> Any:
    found = workspace.search_project(name)
    if found:
        return found[0]
    project = workspace.create_project(name, description="Level 2 monitoring: one point per monitored window")
    for panel in _panels():
        project.dashboard.add_panel(panel, tab=PANELS_TAB)
    project.save()
    return project


def _panels() -> list[Any]:
    from evidently.sdk.models import PanelMetric
    from evidently.sdk.panels import line_plot_panel

    def metric(name: str, legend: str, **labels: str) -> PanelMetric:
        return PanelMetric(legend=legend, metric=name, metric_labels=labels)

    return [
        line_plot_panel(
            "Share of drifted features",
            [metric("DriftedColumnsCount", "drifted share", value_type="share")],
            "Evidently's drift tests against the champion's reference sample",
        ),
        line_plot_panel("Drift score per feature", [metric("ValueDrift", name, column=name) for name in FEATURE_NAMES]),
        line_plot_panel(
            "Live ROC AUC on labelled predictions",
            [metric("RocAuc", "ROC AUC")],
            "the window's predictions whose labels arrived",
            size="half",
        ),
        line_plot_panel("Rejected-row share", [metric("MeanValue", "rejected", column="rejected_share")], size="half"),
        line_plot_panel("Served model version", [metric("MeanValue", "version", column="served_version")]),
    ]


def _quality(labelled: pd.DataFrame, facts: WindowFacts) -> Any | None:
    """Evidently's ROC AUC of the window's labelled predictions (None while one class or no label arrived)."""
    from evidently import BinaryClassification, DataDefinition, Dataset, Report
    from evidently.metrics import RocAuc

    if len(labelled) == 0 or labelled["label"].nunique() < 2:
        return None
    frame = pd.DataFrame({"label": labelled["label"].astype(int), "probability": labelled["probability"]})
    task = BinaryClassification(target="label", prediction_probas="probability")
    definition = DataDefinition(classification=[task], numerical_columns=["probability"])
    data = Dataset.from_pandas(frame.reset_index(drop=True), data_definition=definition)
    return Report([RocAuc()]).run(data, None, timestamp=facts.when, name=f"day {facts.day}: live quality")


def _facts(facts: WindowFacts) -> Any:
    """The service's facts of the window as a one-row Evidently report, so the dashboard plots them."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import MeanValue

    frame = pd.DataFrame({"rejected_share": [facts.rejected_share], "served_version": [float(facts.served_version)]})
    data = Dataset.from_pandas(frame, data_definition=DataDefinition(numerical_columns=list(FACTS)))
    report = Report([MeanValue(column=name) for name in FACTS])
    return report.run(data, None, timestamp=facts.when, name=f"day {facts.day}: service")


class _Index:
    """Which snapshots belong to which monitored day (a re-run of a day replaces them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.days: dict[str, list[str]] = json.loads(path.read_text()) if path.is_file() else {}

    def pop(self, day: int) -> list[str]:
        return self.days.pop(str(day), [])

    def put(self, day: int, ids: list[str]) -> None:
        self.days[str(day)] = ids
        self.path.write_text(json.dumps(self.days, indent=1))
