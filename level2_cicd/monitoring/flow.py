"""The level 2 monitoring flow: drift and quality of one window, a decision, and retraining.

read the window from the prediction log -> champion's reference data -> Evidently drift ->
live quality on labels that arrived -> decide (policy) -> log to MLflow -> retrain if needed
(the level 1 training flow, as a subflow: same gates, same promotion rules).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from level1_pipeline.flow import Became
from level2_cicd.monitoring.dashboard import WindowFacts, publish_window, workspace_folder
from level2_cicd.monitoring.decision import Decision, WindowSummary, classify, decide
from level2_cicd.monitoring.dispatch import retrain_payload, send_retrain_dispatch
from level2_cicd.monitoring.drift import detect_drift, save_report
from level2_cicd.monitoring.history import MonitoringHistory, RecordKind
from level2_cicd.monitoring.inputs import ChampionReference, LoggedWindow, champion_reference, read_window
from level2_cicd.monitoring.policy import MonitoringPolicy, load_monitoring_policy
from level2_cicd.monitoring.release import act, judge_live_test
from level2_cicd.monitoring.release_judge import Verdict
from level2_cicd.monitoring.retraining import Retraining, dispatched, retrain
from level2_cicd.monitoring.tracking import MonitoredWindow, log_window_run
from shared.data.source import Calendar, resolve_day, source_from
from shared.metrics import classification_metrics
from shared.prefect_api import check_deployment_targets
from shared.registry import Registry, VersionRef
from shared.release_policy import load_release_policy
from shared.settings import Settings, load_settings
from shared.tracking import connect, ensure_experiment


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


@dataclass(frozen=True)
class LiveTest:
    """The day's verdict on a challenger under A/B or shadow, and what it changed."""

    mode: str
    challenger: str
    verdict: Verdict
    champion_after: str


@task(name="read-window", cache_policy=NO_CACHE)
def read_window_task(settings: Settings, calendar: Calendar, day: int) -> LoggedWindow:
    return read_window(settings, calendar, day)


@task(name="champion-reference", cache_policy=NO_CACHE)
def champion_reference_task(settings: Settings) -> ChampionReference:
    return champion_reference(settings)


@task(name="summarise-window", cache_policy=NO_CACHE)
def summarise_task(
    settings: Settings,
    day: int,
    serving: ChampionReference,
    window: LoggedWindow,
) -> tuple[WindowSummary, Any]:
    """The window's facts, and the Evidently drift snapshot they came from (None without traffic)."""
    current, labelled, threshold = window.current, window.labelled, serving.champion.threshold
    drift = detect_drift(serving.reference, current, window.start) if len(current) else None
    folder = settings.level2_dir / "reports" / f"day-{day:03d}"
    if drift is not None:
        save_report(drift, folder)
    quality: dict[str, float] = {}
    if len(labelled) and labelled["label"].nunique() > 1:
        quality = classification_metrics(labelled["label"].astype(int), labelled["probability"], threshold)
    summary = WindowSummary(
        day=day,
        rows=len(current),
        drift_share=drift.share if drift else None,
        drifted_columns=drift.drifted_columns if drift else (),
        labelled_rows=len(labelled),
        roc_auc=quality.get("roc_auc"),
        quality=quality,
        rejected_rows=window.rejected_rows,
        rejected_by_rule=window.rejected_by_rule(),
        labels_of=window.labels_of.isoformat(),
        labels_due=window.labels_due.isoformat(),
        drifted_reliance={c: serving.reliance[c] for c in drift.drifted_columns} if drift and serving.reliance else {},
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(summary.as_dict(), indent=2))
    return summary, (drift.snapshot if drift else None)


@task(name="dashboard", cache_policy=NO_CACHE)
def dashboard_task(
    settings: Settings, summary: WindowSummary, drift_snapshot: Any, window: LoggedWindow, champion: VersionRef
) -> None:
    """Add the window to the live dashboard (`make dashboard`: Evidently's UI over the workspace)."""
    facts = WindowFacts(summary.day, window.start, summary.rejected_share, champion.version)
    publish_window(workspace_folder(settings.state_path), settings.model_name, facts, drift_snapshot, window.labelled)


@task(name="judge-live-test", cache_policy=NO_CACHE)
def live_test_task(settings: Settings, champion: VersionRef, day: int) -> LiveTest | None:
    """Judge the challenger on its labelled live traffic and act on the verdict; None without a live test."""
    policy = load_release_policy(settings.release_policy_file)
    registry = Registry(settings.model_name)
    challenger = registry.challenger()
    if challenger is None or policy.mode == "off":
        return None
    store = settings.resolved_prediction_store_url
    verdict = judge_live_test(store, registry, champion, challenger, policy)
    after = act(registry, verdict, champion, challenger, settings.promotion_lock_url, day)  # as every promoter
    return LiveTest(policy.mode, challenger.version, verdict, after)


@task(name="decide", cache_policy=NO_CACHE)
def decide_task(
    summary: WindowSummary, history: MonitoringHistory, policy: MonitoringPolicy, settings: Settings
) -> Decision:
    status, reason = classify(summary, policy)
    earlier = [w for w in history.windows_since_last_retraining() if w[0] != summary.day]  # a re-run replaces
    windows = [*earlier, (summary.day, status)]
    return decide(windows, history.last_retrain_day(), settings.label_delay_days, policy, reason)


@task(name="log-to-mlflow", cache_policy=NO_CACHE)
def log_to_mlflow_task(
    settings: Settings,
    champion: VersionRef,
    summary: WindowSummary,
    decision: Decision,
    when: date,
    live_test: LiveTest | None = None,
) -> str:
    """One monitoring run per window, in an experiment of its own (the champion's training run stays as it ended)."""
    experiment_id = ensure_experiment(settings, f"{settings.experiment_name}-monitoring")
    logged = summary.as_dict() | {"decision": asdict(decision)}
    verdict = live_test.verdict if live_test is not None else None
    if live_test is not None:
        logged["live_test"] = {"mode": live_test.mode, "challenger": live_test.challenger} | live_test.verdict.as_dict()
    report = settings.level2_dir / "reports" / f"day-{summary.day:03d}" / "drift.html"
    window = MonitoredWindow(champion.version, summary, decision.status, when, logged, verdict)
    return log_window_run(experiment_id, window, report if report.is_file() else None)


@task(name="notify-ci", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def notify_ci_task(settings: Settings, payload: dict[str, Any]) -> None:
    """Send the retrain repository_dispatch to GitHub (CI's retrain.yml listens)."""
    send_retrain_dispatch(settings, payload)


def _dispatch(
    settings: Settings, calendar: Calendar, outcome: MonitoringOutcome, history: MonitoringHistory
) -> MonitoringOutcome:
    """Policy `retrain_by: ci`: send the decision to CI, which retrains; one retraining per decision."""
    payload = retrain_payload(calendar, outcome.decision)
    notify_ci_task(settings, payload)
    assert outcome.decision.retrain_window is not None
    first, last = (calendar.date_of(day) for day in outcome.decision.retrain_window)
    sent = dispatched(first, last)
    history.append(sent.record(outcome.day, by="ci") | payload)
    return replace(outcome, retrained=False, retraining=sent.explanation)


@flow(name="level2-monitoring", log_prints=True)
def monitoring_flow(
    day: date | int | str | None = None,
    settings_overrides: dict[str, Any] | None = None,
    retrain_params: dict[str, Any] | None = None,
) -> MonitoringOutcome:
    """Monitor one day (a date or a day number of the source; default: its today); retrain if the policy says so."""
    settings = load_settings(**(settings_overrides or {}))
    check_deployment_targets(settings)
    policy = load_monitoring_policy(settings.monitoring_policy_file)
    source = source_from(settings)
    calendar = source.calendar
    day = calendar.day_of(resolve_day(source, day) if day is not None else source.today())
    connect(settings)
    history = MonitoringHistory(settings.resolved_prediction_store_url)
    try:
        window = read_window_task(settings, calendar, day)
        serving = champion_reference_task(settings)
        champion = serving.champion
        summary, drift_snapshot = summarise_task(settings, day, serving, window)
        decision = decide_task(summary, history, policy, settings)
        live = live_test_task(settings, champion, day)
        log_to_mlflow_task(settings, champion, summary, decision, calendar.date_of(day), live)
        if settings.monitoring_dashboard:
            dashboard_task(settings, summary, drift_snapshot, window, champion)
        history.append(
            {"kind": RecordKind.WINDOW.value, "day": day, "status": decision.status.value, "reason": decision.reason}
        )
        after = live.champion_after if live is not None else champion.version
        outcome = MonitoringOutcome(
            day,
            summary,
            decision,
            champion.version,
            after,
            retrained=False,
            live_test=live,
            date=calendar.date_of(day).isoformat(),
        )
        if live is not None:
            record = {"mode": live.mode, "challenger": live.challenger, "champion_after": after}
            history.append({"kind": RecordKind.LIVE_TEST.value, "day": day, **record, **live.verdict.as_dict()})
        # A challenger under a live test gets its verdict first; the alarm still stands tomorrow.
        retrain = decision.retrain and (live is None or live.verdict.action != "continue")
        if retrain and policy.retrain_by == "ci":
            outcome = _dispatch(settings, calendar, outcome, history)
        elif retrain:
            outcome = _retrain(settings, calendar, outcome, history, retrain_params)
    finally:
        history.close()
    get_run_logger().info("day %s: %s (%s)", day, decision.status.value, decision.reason)
    return outcome


def _retrain(
    settings: Settings,
    calendar: Calendar,
    outcome: MonitoringOutcome,
    history: MonitoringHistory,
    params: dict[str, Any] | None,
) -> MonitoringOutcome:
    """Train on the newest fully labelled window the decision chose (retraining.py); record what it became."""
    assert outcome.decision.retrain_window is not None
    first, last = outcome.decision.retrain_window
    done = retrain(settings, calendar.date_of(last), last - first + 1, params)
    history.append(done.record(outcome.day, by="prefect"))
    return replace(
        outcome,
        retrained=True,
        new_version=done.version,
        promoted=done.result is Retraining.PROMOTED,
        champion_after=done.champion_after or outcome.champion_after,
        became=done.became,
        retraining=done.explanation,
    )
