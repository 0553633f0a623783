"""What the monitor reads for one day: the day's window of the prediction log, and the serving version's reference.

Adapters (the prediction log, the registry's artifacts); the flow (flow.py) wires them to the pure decision.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from mlflow.artifacts import download_artifacts

from shared.data.source import Calendar
from shared.prediction_log import create_store_engine, read_log, read_rejections
from shared.registry import Registry, VersionRef
from shared.settings import Settings
from shared.tracking import REFERENCE_DIR, REFERENCE_FILE, RELIANCE_FILE


@dataclass(frozen=True)
class LoggedWindow:
    """What the prediction log holds for one monitored day."""

    current: pd.DataFrame  # predictions of the day
    labelled: pd.DataFrame  # labelled predictions of the day whose labels are due now
    rejections: pd.DataFrame  # broken rules of the rows the service refused that day
    start: datetime  # the day's first moment (naive UTC)
    labels_of: date  # the day whose predictions' labels are due now (the day minus the label delay)
    labels_due: date  # when this day's own labels are due (the day plus the label delay)

    @property
    def rejected_rows(self) -> int:
        return len(self.rejections[["request_id", "row"]].drop_duplicates())

    def rejected_by_rule(self) -> dict[str, int]:
        keys = self.rejections["field"] + ": " + self.rejections["rule"]
        return {str(key): int(count) for key, count in keys.value_counts().items()}


def read_window(settings: Settings, calendar: Calendar, day: int) -> LoggedWindow:
    def bounds(number: int) -> tuple[datetime, datetime]:
        start = calendar.start_of(number)
        return start, start + timedelta(days=1)

    engine = create_store_engine(settings.resolved_prediction_store_url)
    try:
        current = read_log(engine, *bounds(day))
        labelled = read_log(engine, *bounds(day - settings.label_delay_days))
        rejections = read_rejections(engine, *bounds(day))
    finally:
        engine.dispose()
    delay = settings.label_delay_days
    labels = (calendar.date_of(day - delay), calendar.date_of(day + delay))
    return LoggedWindow(current, labelled[labelled["label"].notna()], rejections, bounds(day)[0], *labels)


@dataclass(frozen=True)
class ChampionReference:
    """The serving version, a sample of its training features, and how much it relies on each column."""

    champion: VersionRef
    reference: pd.DataFrame
    reliance: dict[str, float]  # empty for a version trained before reliance was logged: columns weigh alike
    holdout_roc_auc: float | None = None  # the version's offline ROC AUC on its holdout, as its run logged it


def champion_reference(settings: Settings) -> ChampionReference:
    registry = Registry(settings.model_name)
    champion = registry.champion()
    if champion is None:
        raise RuntimeError(f"no champion of {settings.model_name!r} to monitor: run `make level1` first")
    # Downloaded once per champion, not once per monitored day.
    folder = settings.level2_dir / "references" / champion.run_id
    if not folder.is_dir():
        download_artifacts(run_id=champion.run_id, artifact_path=REFERENCE_DIR, dst_path=str(folder))
    reference = pd.read_parquet(next(folder.rglob(REFERENCE_FILE)))
    saved = next(folder.rglob(RELIANCE_FILE), None)
    reliance = json.loads(saved.read_text()) if saved else {}
    return ChampionReference(champion, reference, reliance, registry.run_metric(champion, "holdout_roc_auc"))
