"""The level 2 monitoring flow: one day's facts, a decision, and retraining. Prefect only wires.

read the day from the prediction log -> the serving version's reference -> skew against the source -> Evidently
drift -> the day's facts (live quality on the labels that arrived) -> decide (policy) -> a challenger's live test ->
log to MLflow -> retrain if needed (the level 1 training flow, as a subflow: same gates, same promotion rules).
Each step is a plain function run as a task.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger

from level2_cicd.monitoring.alarms import alarms_of
from level2_cicd.monitoring.dashboard import publish_day
from level2_cicd.monitoring.decision import Decision, decide_day
from level2_cicd.monitoring.dispatch import retrain_payload, send_retrain_dispatch
from level2_cicd.monitoring.drift import drift_of_day
from level2_cicd.monitoring.history import MonitoringHistory
from level2_cicd.monitoring.inputs import champion_reference, read_window
from level2_cicd.monitoring.outcome import LiveTest, MonitoringOutcome
from level2_cicd.monitoring.policy import MonitoringPolicy, load_monitoring_policy
from level2_cicd.monitoring.release import run_live_test
from level2_cicd.monitoring.retraining import RetrainingResult, chosen_window, dispatched, retrain
from level2_cicd.monitoring.skew import compare_day_with_source
from level2_cicd.monitoring.summary import save_day, summarise
from level2_cicd.monitoring.tracking import log_day
from shared.alerts import FLOW_HOOKS, send
from shared.data.source import Calendar, resolve_day, source_from
from shared.orchestration import step
from shared.prefect_api import check_deployment_targets
from shared.release_policy import Action
from shared.settings import Settings, load_settings
from shared.tracking import connect

__all__ = ["LiveTest", "MonitoringOutcome", "monitoring_flow"]

read = step(read_window, "read-window")  # the day's rows, refusals and the labels that arrived, from the log
reference = step(champion_reference, "champion-reference")  # the serving version's training sample and reliance
compare_with_source = step(compare_day_with_source, "compare-with-source")  # training-serving skew
drift_of = step(drift_of_day, "drift")  # Evidently's per-column drift
summarise_day = step(summarise, "summarise-window")  # the day's facts
save = step(save_day, "save-reports")
decide = step(decide_day, "decide")  # pure: ok, drift, decay, data quality, skew; retrain or wait
judge_live_test = step(run_live_test, "judge-live-test")  # a challenger under A/B or shadow
log_to_mlflow = step(log_day, "log-to-mlflow")
publish = step(publish_day, "dashboard")  # `make dashboard`: Evidently's UI over the workspace
alert = step(send, "alert")  # the day's alarms to Alertmanager (shared/alerts.py), when one is set
notify_ci = step(send_retrain_dispatch, "notify-ci", retries=2, retry_delay_seconds=5)  # CI's retrain.yml listens


@flow(name="level2-monitoring", log_prints=True, **FLOW_HOOKS)
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
        window = read(settings, calendar, day)
        serving = reference(settings)
        champion = serving.champion
        skew = compare_with_source(source, day, window.current)  # the flow's own source: opened once
        drift = drift_of(serving.reference, window.current, window.start)
        summary = summarise_day(day, window, drift, serving, skew)
        save(settings.level2_dir / "reports" / f"day-{day:03d}", summary, drift)
        since = history.windows_since_last_retraining()
        decision = decide(summary, since, history.last_retrain_day(), settings.label_delay_days, policy)
        live = judge_live_test(settings, champion, day)
        when = calendar.date_of(day)
        log_to_mlflow(settings, champion, summary, decision, when, live)
        if settings.monitoring_dashboard:
            publish(settings, summary, window, drift, champion.version)
        history.record_window(day, decision)
        if live is not None:
            history.append(live.record(day))
        after = live.champion_after if live is not None else champion.version
        outcome = MonitoringOutcome(
            day, summary, decision, champion.version, after, False, live_test=live, date=when.isoformat()
        )
        # A challenger under a live test gets its verdict first; the alarm still stands tomorrow.
        done = None
        if decision.retrain and (live is None or live.verdict.action is not Action.CONTINUE):
            done = _retraining(settings, calendar, decision, history, policy, retrain_params)
            outcome = outcome.after(done)
    finally:
        history.close()
    get_run_logger().info(alert(settings, alarms_of(decision, outcome.date, done)))
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
        notify_ci(settings, payload)
        done = dispatched(window.first, window.last)
        history.append(done.record(decision.day, by="ci") | payload)
        return done
    done = retrain(settings, window.last, window.days, params)
    history.append(done.record(decision.day, by="prefect"))
    return done
