"""The level 2 monitoring flow: drift and quality of one day, a decision, and retraining. Prefect only wires.

read the day from the prediction log -> the champion's reference data -> Evidently drift ->
live quality on labels that arrived -> decide (policy) -> log to MLflow -> retrain if needed
(the level 1 training flow, as a subflow: same gates, same promotion rules).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from level2_cicd.monitoring.dashboard import WindowFacts, publish_window, workspace_folder
from level2_cicd.monitoring.decision import Decision, WindowSummary, classify, decide
from level2_cicd.monitoring.dispatch import retrain_payload, send_retrain_dispatch
from level2_cicd.monitoring.drift import detect_drift, save_report
from level2_cicd.monitoring.history import MonitoringHistory
from level2_cicd.monitoring.inputs import ChampionReference, LoggedWindow, champion_reference, read_window
from level2_cicd.monitoring.outcome import LiveTest, MonitoringOutcome
from level2_cicd.monitoring.policy import MonitoringPolicy, load_monitoring_policy
from level2_cicd.monitoring.release import run_live_test
from level2_cicd.monitoring.retraining import RetrainingResult, chosen_window, dispatched, retrain
from level2_cicd.monitoring.skew import SkewResult, compare_with_source
from level2_cicd.monitoring.summary import summarise, write_summary
from level2_cicd.monitoring.tracking import log_day
from shared.data.source import Calendar, DataSource, resolve_day, source_from
from shared.prefect_api import check_deployment_targets
from shared.registry import VersionRef
from shared.settings import Settings, load_settings
from shared.tracking import connect

__all__ = ["LiveTest", "MonitoringOutcome", "monitoring_flow"]


@task(name="read-window", cache_policy=NO_CACHE)
def read_window_task(settings: Settings, calendar: Calendar, day: int) -> LoggedWindow:
    return read_window(settings, calendar, day)


@task(name="champion-reference", cache_policy=NO_CACHE)
def champion_reference_task(settings: Settings) -> ChampionReference:
    return champion_reference(settings)


@task(name="compare-with-source", cache_policy=NO_CACHE)
def skew_task(source: DataSource, day: int, window: LoggedWindow) -> SkewResult:
    """What was served for rows with an id, against the source's own rows of that day (training-serving skew)."""
    when = source.calendar.date_of(day)
    return compare_with_source(window.current, source.rows(when, when))


@task(name="summarise-window", cache_policy=NO_CACHE)
def summarise_task(
    settings: Settings, day: int, serving: ChampionReference, window: LoggedWindow, skew: SkewResult
) -> tuple[WindowSummary, Any]:
    """The day's facts, and the Evidently drift snapshot they came from (None without traffic)."""
    drift = detect_drift(serving.reference, window.current, window.start) if len(window.current) else None
    summary = summarise(day, window, drift, serving, skew)
    folder = settings.level2_dir / "reports" / f"day-{day:03d}"
    if drift is not None:
        save_report(drift, folder)
    write_summary(folder, summary)
    return summary, (drift.snapshot if drift else None)


@task(name="dashboard", cache_policy=NO_CACHE)
def dashboard_task(
    settings: Settings, summary: WindowSummary, drift_snapshot: Any, window: LoggedWindow, champion: VersionRef
) -> None:
    """Add the day to the live dashboard (`make dashboard`: Evidently's UI over the workspace)."""
    facts = WindowFacts(summary.day, window.start, summary.rejected_share, champion.version)
    publish_window(workspace_folder(settings.state_path), settings.model_name, facts, drift_snapshot, window.labelled)


@task(name="judge-live-test", cache_policy=NO_CACHE)
def live_test_task(settings: Settings, champion: VersionRef, day: int) -> LiveTest | None:
    return run_live_test(settings, champion, day)


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
    live: LiveTest | None,
) -> str:
    return log_day(settings, champion, summary, decision, when, live)


@task(name="notify-ci", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def notify_ci_task(settings: Settings, payload: dict[str, Any]) -> None:
    """Send the retrain repository_dispatch to GitHub (CI's retrain.yml listens)."""
    send_retrain_dispatch(settings, payload)


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
        skew = skew_task(source, day, window)  # the flow's own source: opened once
        summary, drift_snapshot = summarise_task(settings, day, serving, window, skew)
        decision = decide_task(summary, history, policy, settings)
        live = live_test_task(settings, champion, day)
        log_to_mlflow_task(settings, champion, summary, decision, calendar.date_of(day), live)
        if settings.monitoring_dashboard:
            dashboard_task(settings, summary, drift_snapshot, window, champion)
        history.record_window(day, decision)
        after = live.champion_after if live is not None else champion.version
        if live is not None:
            history.record_live_test(day, live.mode, live.challenger, after, live.verdict.as_dict())
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
        # A challenger under a live test gets its verdict first; the alarm still stands tomorrow.
        if decision.retrain and (live is None or live.verdict.action != "continue"):
            outcome = outcome.after(_retraining(settings, calendar, decision, history, policy, retrain_params))
    finally:
        history.close()
    get_run_logger().info("day %s: %s (%s)", day, decision.status.value, decision.reason)
    return outcome


def _retraining(
    settings: Settings,
    calendar: Calendar,
    decision: Decision,
    history: MonitoringHistory,
    policy: MonitoringPolicy,
    params: dict[str, Any] | None,
) -> RetrainingResult:
    """Train on the window the decision chose (here, or by CI under `retrain_by: ci`); record what it became."""
    window = chosen_window(calendar, decision)
    if policy.retrain_by == "ci":
        payload = retrain_payload(calendar, decision)
        notify_ci_task(settings, payload)
        done = dispatched(window.first, window.last)
        history.append(done.record(decision.day, by="ci") | payload)
        return done
    done = retrain(settings, window.last, window.days, params)
    history.append(done.record(decision.day, by="prefect"))
    return done
