"""One day's facts from what the monitor read: volume, drift (weighted by what the model relies on), live quality."""

from __future__ import annotations

import json
from pathlib import Path

from level2_cicd.monitoring.decision import WindowSummary
from level2_cicd.monitoring.drift import DriftResult
from level2_cicd.monitoring.inputs import ChampionReference, LoggedWindow
from level2_cicd.monitoring.skew import SkewResult
from shared.metrics import classification_metrics


def summarise(
    day: int, window: LoggedWindow, drift: DriftResult | None, serving: ChampionReference, skew: SkewResult
) -> WindowSummary:
    """The day's summary; quality only from labels that arrived, with both classes among them."""
    labelled = window.labelled
    quality: dict[str, float] = {}
    if len(labelled) and labelled["label"].nunique() > 1:
        quality = classification_metrics(
            labelled["label"].astype(int), labelled["probability"], serving.champion.threshold
        )
    drifted = drift.drifted_columns if drift else ()
    return WindowSummary(
        day=day,
        rows=len(window.current),
        drift_share=drift.share if drift else None,
        drifted_columns=drifted,
        labelled_rows=len(labelled),
        roc_auc=quality.get("roc_auc"),
        quality=quality,
        rejected_rows=window.rejected_rows,
        rejected_by_rule=window.rejected_by_rule(),
        labels_of=window.labels_of.isoformat(),
        labels_due=window.labels_due.isoformat(),
        drifted_reliance={c: serving.reliance[c] for c in drifted} if serving.reliance else {},
        holdout_roc_auc=serving.holdout_roc_auc,
        skew_rows=skew.rows,
        skew=skew.mismatch,
    )


def save_day(folder: Path, summary: WindowSummary, drift: DriftResult | None) -> None:
    """The day's summary (``summary.json``) and Evidently's drift report (``drift.html``, for a day with traffic)."""
    folder.mkdir(parents=True, exist_ok=True)
    if drift is not None:
        drift.snapshot.save_html(str(folder / "drift.html"))
    (folder / "summary.json").write_text(json.dumps(summary.as_dict(), indent=2))
